# mk/grpc.mk — the shared gRPC build rules: .proto -> generated C++ (protoc + grpc_cpp_plugin) in the
# exercise's build folder, compiled once, linked into its programs and its test binary. An exercise
# Makefile sets what mk/exercise.mk reads, plus:
#   GRPC_PROTOS  := user.proto          the exercise's .proto files (next to its Makefile)
#   GRPC_PKGS    ?= grpc++ protobuf     pkg-config modules, added to PKGS
#   GRPC_LIBS    ?=                     extra libraries, e.g. -lgrpc++_reflection (no .pc in Debian 12)
#   GRPC_PY      ?= 0                   1: also <name>_pb2.py (protoc --python_out) for a Python client
# and includes this file INSTEAD of mk/exercise.mk (it includes it, with the gRPC modules in PKGS):
#   include ../../mk/grpc.mk
# Sources include "<name>.pb.h" / "<name>.grpc.pb.h" (the generated folder is on the include path);
# tests find the generated Python module in NETLAB_GRPC_GEN_DIR (a string macro).
# The generated code is never graded: it lives in $(OBJ)/gen, which a mutant's or a submission's
# build copies from the reference's build with its times (the moulinette's cp -a), so it is neither
# regenerated nor recompiled there; only the patched source recompiles (-MMD dependency files name the
# generated headers it includes, so a changed .proto regenerates and recompiles what uses it).
# Outputs: $(GRPC_GEN)/<name>.pb.{h,cc,o}, <name>.grpc.pb.{h,cc,o} [, <name>_pb2.py].

GRPC_PROTOS ?=
GRPC_PKGS   ?= grpc++ protobuf
GRPC_LIBS   ?=
GRPC_PY     ?= 0
PROTOC      ?= protoc
GRPC_CPP_PLUGIN ?= $(shell command -v grpc_cpp_plugin 2>/dev/null)

# The Debian package to name when pkg-config misses a module (mk/config.mk need_pkg).
PKG_DEB_grpc++          := libgrpc++-dev
PKG_DEB_grpc++_unsecure := libgrpc++-dev
PKG_DEB_protobuf        := libprotobuf-dev
ifeq ($(shell command -v $(PROTOC) 2>/dev/null),)
$(error missing tool '$(PROTOC)': run 'sudo apt-get install protobuf-compiler')
endif
ifeq ($(GRPC_CPP_PLUGIN),)
$(error missing tool 'grpc_cpp_plugin': run 'sudo apt-get install protobuf-compiler-grpc')
endif

PKGS += $(GRPC_PKGS)
# GRPC_LIBS must come after the objects on the link line (a shared library named before them does
# not satisfy their references): as files, they join PROG_EXTRA_LIBS, which the program rules of
# exercise.mk put after the objects, and EX_LIBS for the test binary (below).
GRPC_LIB_FILES := $(foreach l,$(patsubst -l%,%,$(GRPC_LIBS)),$(shell $(CXX) -print-file-name=lib$(l).so))
PROG_EXTRA_LIBS += $(GRPC_LIB_FILES)
include $(dir $(lastword $(MAKEFILE_LIST)))exercise.mk


GRPC_GEN      := $(OBJ)/gen
GRPC_NAMES    := $(basename $(notdir $(GRPC_PROTOS)))
GRPC_GEN_HDRS := $(foreach n,$(GRPC_NAMES),$(GRPC_GEN)/$(n).pb.h $(GRPC_GEN)/$(n).grpc.pb.h)
GRPC_GEN_OBJS := $(foreach n,$(GRPC_NAMES),$(GRPC_GEN)/$(n).pb.o $(GRPC_GEN)/$(n).grpc.pb.o)
GRPC_GEN_PY   := $(if $(filter 1,$(GRPC_PY)),$(foreach n,$(GRPC_NAMES),$(GRPC_GEN)/$(n)_pb2.py))

# Every object of the exercise sees the generated headers; every binary links the generated objects
# (the link rules of exercise.mk take every .o prerequisite) and GRPC_LIBS (programs through
# PROG_EXTRA_LIBS above; the test binary's rule reads EX_LIBS when it runs).
EX_CXXFLAGS += -I$(GRPC_GEN) -DNETLAB_GRPC_GEN_DIR='"$(GRPC_GEN)"'
EX_LIBS     := $(EX_LIBS) $(GRPC_LIB_FILES)
GRPC_USERS  := $(LIB_OBJS) $(TEST_OBJS) $(ORACLE_OBJS) \
               $(patsubst %.cpp,$(OBJ)/%.o,$(sort $(foreach p,$(PROGRAMS),$(PROG_SRCS_$(p)))))
# Order-only: the first build generates before it compiles; afterwards the .d files track the headers.
$(GRPC_USERS): | $(GRPC_GEN_HDRS)
$(PROG_BINS) $(TEST_BIN): $(GRPC_GEN_OBJS)
all programs tests: $(GRPC_GEN_PY)
test-objs: $(GRPC_GEN_HDRS)

# One protoc run writes the four C++ files of a .proto (a grouped target: make runs it once).
define grpc_proto_rule
$(GRPC_GEN)/$(1).pb.h $(GRPC_GEN)/$(1).pb.cc $(GRPC_GEN)/$(1).grpc.pb.h $(GRPC_GEN)/$(1).grpc.pb.cc &: $(EX_DIR)/$(1).proto
	@mkdir -p $(GRPC_GEN)
	$(PROTOC) -I$(EX_DIR) --cpp_out=$(GRPC_GEN) --grpc_out=$(GRPC_GEN) --plugin=protoc-gen-grpc=$(GRPC_CPP_PLUGIN) $$<
$(GRPC_GEN)/$(1)_pb2.py: $(EX_DIR)/$(1).proto
	@mkdir -p $(GRPC_GEN)
	$(PROTOC) -I$(EX_DIR) --python_out=$(GRPC_GEN) $$<
endef
$(foreach n,$(GRPC_NAMES),$(eval $(call grpc_proto_rule,$(n))))

# Generated code is not ours to keep warning-free: same flags without -Werror, and the unused
# parameters protoc leaves in its stubs silenced.
$(GRPC_GEN)/%.o: $(GRPC_GEN)/%.cc
	$(CXX) $(filter-out -Werror,$(EX_CXXFLAGS)) -Wno-unused-parameter -c $< -o $@
.SECONDARY: $(GRPC_GEN_HDRS) $(GRPC_GEN_OBJS:.o=.cc)
