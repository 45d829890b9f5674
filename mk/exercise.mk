# mk/exercise.mk — the build rules every exercise shares. An exercise's Makefile sets:
#   EX_ID       its id, e.g. ex00_echo or exercises_5_4/ex00_vector_clock (names tests/$(EX_ID)/)
#   LIB_SRCS    the graded sources (what a student hands in, plus headers they include)
#   PROGRAMS    programs to build into $(BUILD)/bin; PROG_SRCS_<prog> lists each one's own sources
#   PKGS        extra pkg-config modules (jansson, liburing, libcrypto are always linked via common)
#   TEST_LINKS_LIB  1 when the test binary links the graded objects (library exercises)
#   PROG_EXTRA_LIBS extra archives for the programs, e.g. $(SUPPORT_LIB) for a demo that drives the
#                   deterministic simulator of tests/support
#   ORACLE_SRCS     reference sources linked into the test binary inside `namespace oracle`, for
#                   differential tests (see tests/moulinette/README.md, "The oracle")
#   ORACLE_HDRS     the headers the suite includes as "oracle/<name>.h" (the API in namespace oracle)
#   ORACLE_PROGS    programs of the reference built as oracle binaries, for the wire differential
#                   tests of server exercises (tests/support/nl_wire_diff.h); their sources are
#                   ORACLE_SRCS_<prog>, by default PROG_SRCS_<prog> and LIB_SRCS
# then includes this file. `make -C <exercise>` builds the programs and the test binary.

include $(dir $(lastword $(MAKEFILE_LIST)))config.mk

EX_DIR   := $(abspath $(CURDIR))
OBJ      := $(BUILD)/obj/$(EX_ID)
TEST_DIR ?= $(NETLAB_ROOT)/tests/$(EX_ID)
TEST_BIN := $(BUILD)/tests/$(EX_ID)/run_tests
TEST_SRCS ?= $(wildcard $(TEST_DIR)/*.cpp)
TEST_LINKS_LIB ?= 0
PKGS ?=
PROG_EXTRA_LIBS ?=
ORACLE_SRCS ?=
ORACLE_HDRS ?=
ORACLE_PROGS ?=

ALL_PKGS := $(sort $(COMMON_PKGS) $(PKGS))
EX_CXXFLAGS := $(CXXFLAGS) -I$(EX_DIR) $(call pkg_cflags,$(ALL_PKGS)) \
               -DNETLAB_BIN_DIR='"$(BUILD)/bin"'
EX_LIBS := $(COMMON_LIB) $(call pkg_libs,$(ALL_PKGS))

LIB_OBJS  := $(patsubst %.cpp,$(OBJ)/%.o,$(LIB_SRCS))
# The suite's objects do not depend on the submission: the moulinette points TEST_OBJ_BUILD at the
# main build so a mutant's build compiles only the graded sources.
TEST_OBJ_BUILD ?= $(BUILD)
TEST_OBJ  := $(TEST_OBJ_BUILD)/obj/$(EX_ID)/tests
TEST_OBJS := $(patsubst $(TEST_DIR)/%.cpp,$(TEST_OBJ)/%.o,$(TEST_SRCS))
PROG_BINS := $(addprefix $(BUILD)/bin/,$(PROGRAMS))

# The oracle: the pristine reference, compiled inside namespace oracle next to the suite's objects.
# It is made from the exercise folder of the real tree ($(NETLAB_ROOT)/$(EX_ID)), never from the copy
# a mutant or a submission is built in, and lives in TEST_OBJ_BUILD, so every variant links the same
# one. In a student pack the sources are gone: $(ORACLE_PACK) holds the object and the generated
# header instead (moulinette dist-student puts them there), and they are copied as they are.
ORACLE_REF_DIR  := $(NETLAB_ROOT)/$(EX_ID)
ORACLE_PACK     := $(ORACLE_REF_DIR)/oracle
ORACLE_DIR      := $(TEST_OBJ_BUILD)/obj/$(EX_ID)/oracle
ORACLE_INC      := $(ORACLE_DIR)/include
ORACLE_OBJS     := $(patsubst %.cpp,$(ORACLE_DIR)/%.o,$(notdir $(ORACLE_SRCS)))
ORACLE_GEN_HDRS := $(addprefix $(ORACLE_INC)/oracle/,$(notdir $(ORACLE_HDRS)))
ORACLE_WRAP     := $(NETLAB_ROOT)/mk/oracle-wrap.sh
ORACLE_BIN      := $(ORACLE_DIR)/bin
ORACLE_PROG_BINS := $(addprefix $(ORACLE_BIN)/,$(ORACLE_PROGS))
TEST_CXXFLAGS   := $(if $(ORACLE_HDRS),-I$(ORACLE_INC)) $(if $(ORACLE_PROGS),-DNL_ORACLE_BIN_DIR='"$(ORACLE_BIN)"')

.PHONY: all programs tests test-objs oracle-files clean-ex
all: programs tests
programs: $(PROG_BINS)
tests: $(if $(TEST_SRCS),$(TEST_BIN))
test-objs: $(TEST_OBJS) $(ORACLE_OBJS) $(ORACLE_PROG_BINS)
oracle-files: # what a student pack ships of the oracle (read by moulinette dist-student)
	@echo $(ORACLE_OBJS) $(ORACLE_GEN_HDRS) $(ORACLE_PROG_BINS)

# The shared libraries are built by their own Makefiles; the moulinette sets NETLAB_PREBUILT=1
# after building them once, so parallel mutant builds never race on them.
ifeq ($(NETLAB_PREBUILT),)
$(COMMON_LIB): FORCE
	+@$(MAKE) --no-print-directory -C $(NETLAB_ROOT)/common BUILD=$(COMMON_BUILD) SAN=$(SAN) lib
$(SUPPORT_LIB): FORCE
	+@$(MAKE) --no-print-directory -C $(NETLAB_ROOT)/common BUILD=$(COMMON_BUILD) SAN=$(SAN) support
endif
.PHONY: FORCE
FORCE:

$(OBJ)/%.o: $(EX_DIR)/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(EX_CXXFLAGS) -c $< -o $@

$(TEST_OBJ)/%.o: $(TEST_DIR)/%.cpp | $(ORACLE_GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(EX_CXXFLAGS) $(TEST_CXXFLAGS) $(call pkg_cflags,cmocka) -c $< -o $@

# A student pack's prebuilt oracle comes first; otherwise it is generated from the reference.
$(ORACLE_INC)/oracle/%.h: $(ORACLE_PACK)/%.h
	@mkdir -p $(dir $@)
	cp $< $@
$(ORACLE_INC)/oracle/%.h: $(ORACLE_REF_DIR)/%.h $(ORACLE_WRAP)
	@mkdir -p $(dir $@)
	$(ORACLE_WRAP) header $< $@ $(notdir $(ORACLE_HDRS))
$(ORACLE_DIR)/%.o: $(ORACLE_PACK)/%.o
	@mkdir -p $(dir $@)
	cp $< $@
$(ORACLE_DIR)/%.oracle.cpp: $(ORACLE_REF_DIR)/%.cpp $(ORACLE_WRAP)
	@mkdir -p $(dir $@)
	$(ORACLE_WRAP) source $< $@ $(notdir $(ORACLE_HDRS))
$(ORACLE_DIR)/%.o: $(ORACLE_DIR)/%.oracle.cpp | $(ORACLE_GEN_HDRS)
	$(CXX) $(EX_CXXFLAGS) -I$(ORACLE_INC) -I$(ORACLE_REF_DIR) -c $< -o $@
.SECONDARY: $(patsubst %.o,%.oracle.cpp,$(ORACLE_OBJS)) $(ORACLE_GEN_HDRS)

# The list of graded sources of this build, in a file rewritten only when it changes: `make BONUS=0`
# after a bonus build drops a source without making any object newer, so the programs and the test
# binary depend on this file too, and relink without the bonus.
LIB_STAMP := $(OBJ)/.lib-srcs
$(shell mkdir -p '$(OBJ)' && { [ -f '$(LIB_STAMP)' ] && [ "$$(cat '$(LIB_STAMP)')" = '$(LIB_SRCS)' ] || echo '$(LIB_SRCS)' > '$(LIB_STAMP)'; })

# Program <p> = its own sources (default: main.cpp) + the graded objects + common.
define program_rule
PROG_SRCS_$(1) ?= main.cpp
$(BUILD)/bin/$(1): $$(patsubst %.cpp,$(OBJ)/%.o,$$(PROG_SRCS_$(1))) $(LIB_OBJS) $(COMMON_LIB) $(PROG_EXTRA_LIBS) $(LIB_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CXX) $$(LDFLAGS) $$(filter %.o,$$^) $(PROG_EXTRA_LIBS) $(EX_LIBS) -o $$@
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# Oracle program <p>: the pristine reference's sources (the real tree, never a variant's copy) built
# beside the oracle objects, so every variant's suite talks to the same reference server. A student
# pack ships the binary instead (no reference source there) and it is copied as it is.
ORACLE_PROG_OBJ := $(ORACLE_DIR)/prog
define oracle_prog_rule
ORACLE_SRCS_$(1) ?= $$(PROG_SRCS_$(1)) $$(LIB_SRCS)
ifneq ($(wildcard $(ORACLE_PACK)/$(1)),)
$(ORACLE_BIN)/$(1): $(ORACLE_PACK)/$(1)
	@mkdir -p $$(dir $$@)
	cp $$< $$@
else
$(ORACLE_BIN)/$(1): $$(patsubst %.cpp,$(ORACLE_PROG_OBJ)/%.o,$$(ORACLE_SRCS_$(1))) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CXX) $$(LDFLAGS) $$(filter %.o,$$^) $(EX_LIBS) -o $$@
endif
endef
$(foreach p,$(ORACLE_PROGS),$(eval $(call oracle_prog_rule,$(p))))
$(ORACLE_PROG_OBJ)/%.o: $(ORACLE_REF_DIR)/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -I$(ORACLE_REF_DIR) $(EX_CXXFLAGS) -c $< -o $@

$(TEST_BIN): $(TEST_OBJS) $(ORACLE_OBJS) $(if $(filter 1,$(TEST_LINKS_LIB)),$(LIB_OBJS)) $(SUPPORT_LIB) $(COMMON_LIB) $(LIB_STAMP) | $(ORACLE_PROG_BINS)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $(filter %.o,$^) $(SUPPORT_LIB) $(EX_LIBS) $(call pkg_libs,cmocka) -o $@

clean-ex:
	rm -rf $(OBJ) $(BUILD)/tests/$(EX_ID) $(PROG_BINS)

-include $(shell find $(OBJ) $(TEST_OBJ) $(ORACLE_DIR) -name '*.d' 2>/dev/null)
