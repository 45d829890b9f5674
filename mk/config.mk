# mk/config.mk — compiler flags, sanitizer builds and dependency checks shared by every Makefile.
# Included first by the top-level Makefile, common/, the tests and each exercise's Makefile.

ifndef NETLAB_ROOT
NETLAB_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
endif

# SAN=address|thread|undefined|address+undefined builds everything with that sanitizer in its own
# folder, so a sanitizer build never mixes objects with the normal one (address+undefined: ASan,
# LeakSanitizer and UBSan in one build, what `make sancheck` runs every reference under).
SAN ?=
ifeq ($(SAN),)
BUILD ?= $(NETLAB_ROOT)/build
else
BUILD ?= $(NETLAB_ROOT)/build-$(SAN)
endif
override BUILD := $(abspath $(BUILD))
# Where the shared libraries (common, test support) live; the moulinette points a temporary
# exercise build at the main build's copy so mutants do not rebuild them.
COMMON_BUILD ?= $(BUILD)

CXX ?= g++
ifeq ($(CXX),c++)
CXX := g++
endif

SAN_FLAGS_address   := -fsanitize=address -fno-omit-frame-pointer
SAN_FLAGS_thread    := -fsanitize=thread
SAN_FLAGS_undefined := -fsanitize=undefined -fno-sanitize-recover=all
SAN_FLAGS_address+undefined := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifneq ($(SAN),)
ifeq ($(SAN_FLAGS_$(SAN)),)
$(error SAN=$(SAN) is not one of: address thread undefined address+undefined)
endif
endif
SAN_FLAGS := $(SAN_FLAGS_$(SAN))

OPT ?= -O2
CXXFLAGS ?= $(OPT) -g
override CXXFLAGS += -std=c++20 -Wall -Wextra -Werror -pthread -MMD -MP $(SAN_FLAGS) \
                     -I$(NETLAB_ROOT)/common -I$(NETLAB_ROOT)/tests/support
override LDFLAGS += -pthread $(SAN_FLAGS)

# Each dependency is found with pkg-config; a missing one stops the build with one line
# that names the Debian package to install.
PKG_DEB_cmocka   := libcmocka-dev
PKG_DEB_jansson  := libjansson-dev
PKG_DEB_liburing := liburing-dev
PKG_DEB_libcrypto := libssl-dev
need_pkg = $(if $(shell pkg-config --exists $(1) && echo ok),,$(error missing dependency '$(1)': run 'sudo apt-get install $(PKG_DEB_$(1))'))
pkg_cflags = $(foreach p,$(1),$(call need_pkg,$(p))$(shell pkg-config --cflags $(p)))
pkg_libs   = $(foreach p,$(1),$(shell pkg-config --libs $(p)))

COMMON_PKGS := jansson liburing libcrypto
COMMON_LIB  := $(COMMON_BUILD)/lib/libnetlab_common.a
SUPPORT_LIB := $(COMMON_BUILD)/lib/libnetlab_testsupport.a
