# tests/fuzz/fuzz.mk — the one build-and-run mechanism of every libFuzzer target (clang,
# -fsanitize=fuzzer,address,undefined). A target folder's Makefile sets, then includes this file:
#   FUZZ_NAME := ex02_ws                  the folder's name (its outputs go to build/fuzz/<name>/)
#   FUZZERS   := frame handshake          target t is fuzz_<t>.cpp, its seed corpus corpus/<t>/
#   SRCS_<t>  := files of the reference   the code under test (paths from the repository root)
#   LIBS_<t>  := -lcrypto ...             what it links against
#   CFLAGS_<t>:= -I...                    extra include folders (the exercise's and common/ are not implied)
#   make run [FUZZ_SECONDS=30]   builds the targets and runs each on a copy of corpus/<t>/ for that long
# Reference objects are compiled once per file into build/fuzz/obj/ (shared by every target folder).
# Every run appends "<name>/<t> execs=... cov=... ft=... corpus=..." to build/fuzz/summary.txt; a crash,
# a leak or a broken property leaves its reproducer in build/fuzz/<name>/ and fails the run.
ifndef NETLAB_ROOT
NETLAB_ROOT  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
endif
FUZZ_BUILD   ?= $(NETLAB_ROOT)/build/fuzz
OUT          ?= $(FUZZ_BUILD)/$(FUZZ_NAME)
FUZZ_SECONDS ?= 30
FUZZ_MAX_LEN ?= 4096
CLANGXX      ?= clang++
FUZZ_WARN    := -std=c++20 -g -O1 -fno-sanitize-recover=undefined -Wall -Wextra -Werror -I$(NETLAB_ROOT)/common
OBJ_FLAGS    := $(FUZZ_WARN) -fsanitize=fuzzer-no-link,address,undefined
LINK_FLAGS   := -fsanitize=fuzzer,address,undefined -pthread
OBJ          := $(FUZZ_BUILD)/obj

fuzz_objs = $(patsubst %.cpp,$(OBJ)/%.o,$(SRCS_$(1)))

.PHONY: all run clean
all: $(foreach t,$(FUZZERS),$(OUT)/fuzz_$(t))

# The code under test: one object per source, flags of the target that first needs it (every target
# of a folder uses the same include folders, so the object is the same for all).
$(OBJ)/%.o: $(NETLAB_ROOT)/%.cpp
	@mkdir -p $(dir $@)
	$(CLANGXX) $(OBJ_FLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

define fuzz_target
$(OUT)/fuzz_$(1).o: fuzz_$(1).cpp
	@mkdir -p $(OUT)
	$(CLANGXX) $(OBJ_FLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $$< -o $$@
$(OUT)/fuzz_$(1): $(OUT)/fuzz_$(1).o $(call fuzz_objs,$(1))
	$(CLANGXX) $(LINK_FLAGS) $$^ $(LIBS_$(1)) -o $$@
endef
$(foreach t,$(FUZZERS),$(eval $(call fuzz_target,$(t))))

run: all
	@for t in $(FUZZERS); do \
	  rm -rf $(OUT)/corpus-$$t && mkdir -p $(OUT)/corpus-$$t && cp corpus/$$t/* $(OUT)/corpus-$$t/ && \
	  echo "$(FUZZ_NAME)/fuzz_$$t: $(FUZZ_SECONDS) s" && \
	  $(OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix=$(OUT)/ -print_final_stats=1 $(OUT)/corpus-$$t 2>$(OUT)/fuzz_$$t.log || \
	    { tail -n 40 $(OUT)/fuzz_$$t.log; echo "$(FUZZ_NAME)/fuzz_$$t FAILED (reproducer in $(OUT))"; exit 1; }; \
	  line=$$(grep -E '^#[0-9]+[[:space:]]+DONE' $(OUT)/fuzz_$$t.log | tail -n 1); \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(OUT)/fuzz_$$t.log); \
	  cov=$$(echo "$$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p'); \
	  ft=$$(echo "$$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p'); \
	  corp=$$(echo "$$line" | sed -n 's/.* corp: \([0-9]*\).*/\1/p'); \
	  echo "$(FUZZ_NAME)/fuzz_$$t execs=$$execs cov=$$cov ft=$$ft corpus=$$corp seconds=$(FUZZ_SECONDS)" | tee -a $(FUZZ_BUILD)/summary.txt; \
	done

clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/*.d) $(foreach t,$(FUZZERS),$(patsubst %.o,%.d,$(call fuzz_objs,$(t))))
