# netlab — top-level Makefile: builds the shared libraries, every exercise, the unit tests and the
# moulinette out of tree in build/ (build-$(SAN)/ for sanitizer builds), and runs them.
#   make                       build everything
#   make test                  unit tests, interop, abuse + moulinette validation of every exercise
#   make abuse                 the reference servers of ex00/ex01/ex02 under abuse (tests/abuse/)
#   make moulinette [EX="ex00_echo ..."] [REPORT=r.json] [JUNIT=j.xml] [GRADESCOPE=g.json] [HTML=r.html] [JOBS=N] [SHARD=I/N|auto]
#   make grade EX=<id> SUB=<dir>
#   make mutate EX=<id> [MAX=N] [FILE=f.cpp]   operator mutants: the suite's mutation score
#   make stability [EX="<id> ..."] [RUNS=50] [STAB_JOBS=1] [ONLY="test_a ..."]   reference suites RUNS times: failures per test
#   make sancheck [SANCHECK_ASAN="ex..."] [SANCHECK_TSAN="ex..."]   references under ASan+UBSan, concurrent ones under TSan
#   make bench | bench-ex00 ... ; make fuzz [FUZZ_S=30] ; make dist-student ; make clean
#   make SAN=address|thread|undefined|address+undefined <target>
include mk/config.mk

# Builds run two jobs at a time unless told otherwise (make -jN); the graders' runs stay in order.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j2
endif

# An exercise is any folder with a spec.json; its id is its path from the root.
EXERCISES := $(patsubst %/spec.json,%,$(sort $(wildcard ex*/spec.json exercises_5_4/*/spec.json)))
# In a student pack (make dist-student) the reference solutions are gone: build no exercise by default.
ifneq ($(wildcard .student-pack),)
EXERCISES :=
endif
MOULINETTE := $(BUILD)/bin/moulinette
# Grading slots: three per core. The suites mostly wait on clocks (heartbeats, timeouts, servers), so a
# slot uses about a quarter of a core; measured in tests/moulinette/README.md ("Where the time goes"):
# at 6 slots on 2 cores the pack's matrix held even at load 20-30 (a 118-minute loaded run, green).
JOBS ?= $(shell echo $$((3 * $$(nproc 2>/dev/null || echo 1))))
EX ?=

.PHONY: sancheck stability all libs moulinette-bin unit-tests unit-tests-bin interop abuse abuse-bin test moulinette mutate grade bench fuzz dist-student clean $(EXERCISES)
all: libs moulinette-bin unit-tests-bin $(EXERCISES)

libs:
	+@$(MAKE) --no-print-directory -C common all
moulinette-bin: libs
	+@$(MAKE) --no-print-directory -C tests/moulinette NETLAB_PREBUILT=1
unit-tests-bin: libs
	+@$(MAKE) --no-print-directory -C tests/common NETLAB_PREBUILT=1 all
$(EXERCISES): libs
	+@$(MAKE) --no-print-directory -C $@ NETLAB_PREBUILT=1 all

# Unit tests of common/ and of the moulinette itself (its sandbox fixtures). The common/ suite runs
# every program with bad arguments (test_args.cpp), so the exercises are built first.
unit-tests: unit-tests-bin moulinette-bin $(EXERCISES)
	$(BUILD)/tests/common/run_tests
	+@$(MAKE) --no-print-directory -C tests/moulinette NETLAB_PREBUILT=1 check

MOULINETTE_FLAGS = --jobs $(JOBS) $(if $(REPORT),--json $(REPORT)) $(if $(JUNIT),--junit $(JUNIT)) \
                   $(if $(GRADESCOPE),--gradescope $(GRADESCOPE)) $(if $(HTML),--html $(HTML)) $(if $(SHARD),--shard $(SHARD))

# Checks that cannot run inside the grader's sandbox: a real browser (Chromium does not start under
# its address-space limit) and the WebSocket suite on the io_uring backend.
interop: all
	+@$(MAKE) --no-print-directory -C tests/ex02_ws interop
	NETLAB_WS_BACKEND=uring NETLAB_BIN_DIR=$(BUILD)/bin $(BUILD)/tests/ex02_ws/run_tests

# The reference servers of ex00, ex01 and ex02 (both backends) under abuse (tests/abuse/README.md):
# outside the grader's sandbox, which caps descriptors at 4096 (the suite opens 10,000).
abuse-bin: libs
	+@$(MAKE) --no-print-directory -C tests/abuse NETLAB_PREBUILT=1 all
abuse: abuse-bin ex00_echo ex01_chat ex02_ws
	NETLAB_BIN_DIR=$(BUILD)/bin $(BUILD)/tests/abuse/run_tests

# One step after the other: the unit tests, the interop checks, the abuse suite, then the
# validation of every exercise.
test: all
	+@$(MAKE) --no-print-directory unit-tests
	+@$(MAKE) --no-print-directory interop
	+@$(MAKE) --no-print-directory abuse
	$(MOULINETTE) validate $(MOULINETTE_FLAGS) $(EX)

moulinette: all
	$(MOULINETTE) validate $(MOULINETTE_FLAGS) $(EX)

# Operator mutants of one exercise's reference: make mutate EX=<id> [MAX=N] [FILE=f.cpp] [REPORT=m.json]
mutate: libs moulinette-bin
	@test -n "$(EX)" || { echo "usage: make mutate EX=<exercise id> [MAX=N] [FILE=<graded file>] [REPORT=mutants.json]"; exit 2; }
	$(MOULINETTE) mutate --jobs $(JOBS) $(if $(REPORT),--json $(REPORT)) $(if $(MAX),--max $(MAX)) $(if $(FILE),--file $(FILE)) $(EX)

grade: libs moulinette-bin
	@test -n "$(EX)" -a -n "$(SUB)" || { echo "usage: make grade EX=<exercise id> SUB=<folder with your files>"; exit 2; }
	$(MOULINETTE) grade $(MOULINETTE_FLAGS) $(EX) $(SUB)

# Every test of some exercises (EX="a b"; all when EX is empty), RUNS times each, alone in its process,
# STAB_JOBS runs of a test at once: the matrix must not depend on luck. scripts/stability.sh.
RUNS ?= 50
STAB_JOBS ?= 1
stability: $(if $(EX),libs,all)
	+@$(if $(EX),for e in $(EX); do $(MAKE) --no-print-directory -C $$e NETLAB_PREBUILT=1 all || exit 1; done,true)
	JOBS=$(STAB_JOBS) ONLY="$(ONLY)" scripts/stability.sh "$(or $(EX),$(EXERCISES))" $(RUNS) $(BUILD)

# Every reference suite under ASan+LeakSanitizer+UBSan (build-address+undefined/), the concurrent ones
# under TSan (build-thread/), and the unit tests of common/ and of the grader in both: scripts/sancheck.sh.
sancheck:
	SANCHECK_ASAN="$(SANCHECK_ASAN)" SANCHECK_TSAN="$(SANCHECK_TSAN)" JOBS=$(JOBS) scripts/sancheck.sh

# make bench-ex00 runs tests/bench/ex00_*/ ; make bench runs them all.
BENCHES := $(patsubst tests/bench/%/Makefile,%,$(wildcard tests/bench/*/Makefile))
bench: $(addprefix bench-,$(foreach b,$(BENCHES),$(firstword $(subst _, ,$(b)))))
bench-%: all
	+$(MAKE) --no-print-directory -C $(firstword $(wildcard tests/bench/$*_*) tests/bench/$*) run

FUZZERS := $(patsubst %/Makefile,%,$(wildcard tests/fuzz/*/Makefile))
FUZZ_S ?= 30
# make fuzz [FUZZ_S=30]: every libFuzzer target (tests/fuzz/*/, mechanism in tests/fuzz/fuzz.mk) for
# FUZZ_S seconds each; executions and coverage of each in build/fuzz/summary.txt.
fuzz:
	@test -n "$(FUZZERS)" || echo "no fuzz targets yet"
	@mkdir -p $(NETLAB_ROOT)/build/fuzz && rm -f $(NETLAB_ROOT)/build/fuzz/summary.txt
	+@for d in $(FUZZERS); do $(MAKE) --no-print-directory -C $$d FUZZ_SECONDS=$(FUZZ_S) run || exit 1; done
	@echo "== fuzz summary ($(FUZZ_S) s each) ==" && cat $(NETLAB_ROOT)/build/fuzz/summary.txt

dist-student: moulinette-bin
	$(MOULINETTE) dist-student $(BUILD)/dist/netlab-student

clean:
	rm -rf $(NETLAB_ROOT)/build $(NETLAB_ROOT)/build-address $(NETLAB_ROOT)/build-thread $(NETLAB_ROOT)/build-undefined \
	       '$(NETLAB_ROOT)/build-address+undefined'
