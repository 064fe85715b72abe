# memboss — GNU make build. `make`, `make demo`, `make check`, `make install PREFIX=...`.
CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
PREFIX  ?= /usr/local
BUILD   ?= build
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
STD     := -std=c17 -D_GNU_SOURCE
# The runtime: position independent, nothing exported but the malloc family and mb_ API,
# thread state in the initial-exec TLS model (a lazily allocated TLS block would call malloc).
RT_FLAGS := $(STD) $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec -fdata-sections \
            -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc -fno-builtin-realloc \
            -fno-omit-frame-pointer -fno-stack-protector -Iinclude -Isrc -DMB_VERSION='"$(VERSION)"'
CLI_FLAGS := $(STD) $(WARN) $(CFLAGS) -Iinclude -DMB_VERSION='"$(VERSION)"'
# The library's link. Resident pages are what a preloaded library costs a small program
# (docs/design.md, "Footprint"): every variable has its own section (-fdata-sections) and
# the linker sorts them by alignment, so that the large tables (aligned to 32 or 64) come
# apart from the scalars a fast-mode process touches, which share a few pages. The kernel
# maps a library's file pages 64 KiB at a time around each fault (fault-around): segments
# aligned to 64 KiB make those windows fixed, so that the code a fast-mode process runs
# (linked first, RT_HOT) costs one window and the rest none (mk/libmemboss.ld moves
# .fini, which runs at exit, to the front).
RT_LDFLAGS := -Wl,-z,nodelete -Wl,-soname,libmemboss.so -Wl,--sort-section=alignment \
              -Wl,-z,max-page-size=0x10000 -Wl,-T,mk/libmemboss.ld

# The code every process runs (entry points, fast heap, metadata, OS layer, start, the
# report writer's setup) first, the checker's and the reports' code after it.
RT_HOT   := $(wildcard src/*.c src/heap/*.c src/os/*.c) src/report/report.c
RT_SRCS  := $(RT_HOT) $(filter-out $(RT_HOT),$(wildcard src/*/*.c))
RT_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/rt/%.o,$(RT_SRCS))
RT_HDRS  := $(wildcard src/*.h src/*/*.h src/*.def include/*.h)
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/obj/cli/%.o,$(CLI_SRCS))
# The command's libraries: elfutils libdw (source lines) and capstone (instructions).
CLI_LIBS := $(shell pkg-config --libs libdw capstone 2>/dev/null || echo -ldw -lelf -lcapstone)
# Everything of the command but main: what its unit tests (tests/cli/*.c) link.
CLI_LIB_OBJS := $(filter-out $(BUILD)/obj/cli/memboss.o,$(CLI_OBJS))
CLI_TEST_SRCS := $(wildcard tests/cli/*.c)
CLI_TEST_BINS := $(patsubst tests/cli/%.c,$(BUILD)/tests/cli/%,$(CLI_TEST_SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Stress tests: built against the C library alone, run with libmemboss.so preloaded.
STRESS_SRCS := $(filter-out tests/stress/dl_lib.c,$(wildcard tests/stress/*.c))
STRESS_BINS := $(patsubst tests/stress/%.c,$(BUILD)/stress/%,$(STRESS_SRCS)) \
               $(BUILD)/stress/libstress_dl.so

.PHONY: all deps deps-test deps-fuzz deps-bench demo check check-real install clean examples \
        tests bench-micro bench-leak bench-stack bench bench-quick bench-settings fuzz fuzz-quick fuzz-build
all: $(BUILD)/libmemboss.so $(BUILD)/libmemboss.a $(BUILD)/memboss

# `make V=1` shows the commands.
Q := $(if $(V),,@)
say = $(if $(V),,@echo "  $(1)")

$(BUILD)/obj/rt/%.o: src/%.c $(RT_HDRS)
	@mkdir -p $(dir $@)
	$(call say,CC      $<)
	$(Q)$(CC) $(RT_FLAGS) -c $< -o $@

$(BUILD)/libmemboss.so: $(RT_OBJS) mk/libmemboss.ld
	$(call say,LINK    $@)
	$(Q)$(CC) -shared -o $@ $(RT_OBJS) $(RT_LDFLAGS) -lpthread

$(BUILD)/libmemboss.a: $(RT_OBJS)
	@rm -f $@
	$(call say,AR      $@)
	$(Q)ar rcs $@ $(RT_OBJS)

$(BUILD)/obj/cli/%.o: cli/%.c $(wildcard cli/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC      $<)
	$(Q)$(CC) $(CLI_FLAGS) -c $< -o $@

$(BUILD)/memboss: $(CLI_OBJS)
	$(call say,LINK    $@)
	$(Q)$(CC) -o $@ $(CLI_OBJS) $(CLI_LIBS)

# Unit tests link the static library (named as a file: -lmemboss would pick the .so): the
# heap under test is the program's own malloc.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmemboss.a tests/unit/check.h
	@mkdir -p $(dir $@)
	$(call say,CC      $<)
	$(Q)$(CC) $(STD) $(WARN) -O1 -g -Iinclude -Isrc -fno-builtin -o $@ $< $(BUILD)/libmemboss.a -lpthread

# Stress programs do not link memboss: tests/run.sh preloads it (and runs them without).
$(BUILD)/stress/%: tests/stress/%.c tests/stress/stress.h tests/unit/check.h
	@mkdir -p $(dir $@)
	$(call say,CC      $<)
	$(Q)$(CC) $(STD) $(WARN) -O1 -g -pthread -o $@ $< -ldl

$(BUILD)/stress/libstress_dl.so: tests/stress/dl_lib.c tests/stress/stress.h tests/unit/check.h
	@mkdir -p $(dir $@)
	$(call say,CC      $<)
	$(Q)$(CC) $(STD) $(WARN) -O1 -g -fPIC -shared -o $@ $<

# The command's unit tests: one program per file of tests/cli/, linked with the command's
# objects (not its main).
$(BUILD)/tests/cli/%: tests/cli/%.c $(CLI_LIB_OBJS) $(wildcard cli/*.h) tests/unit/check.h
	@mkdir -p $(dir $@)
	$(call say,CC      $<)
	$(Q)$(CC) $(CLI_FLAGS) -Icli -o $@ $< $(CLI_LIB_OBJS) $(CLI_LIBS)

tests: $(UNIT_BINS) $(STRESS_BINS) $(CLI_TEST_BINS)

deps:
	@sh mk/deps.sh

deps-test:
	@sh mk/deps.sh test

deps-fuzz:
	@sh mk/deps.sh fuzz

deps-bench:
	@sh mk/deps.sh bench

examples: all
	@$(MAKE) --no-print-directory -C examples BUILD=$(abspath $(BUILD))

demo: deps all examples
	@sh examples/demo.sh $(BUILD)

check: deps-test all tests examples
	@sh tests/run.sh $(BUILD)

# Real programs and CPython's regression tests under memboss, fast and check mode, compared
# with the run without memboss (tests/real/check-real.sh; `make check` runs a subset).
check-real: deps-test all
	@bash tests/real/check-real.sh $(BUILD)

# A first micro-benchmark: glibc vs memboss fast and check mode, medians, ratios.
bench-micro: all
	@bash bench/micro.sh $(BUILD) 5 1

# The cost of one leak scan over 100k and 1M live blocks (bench/leak_scan.c).
bench-leak: all
	@$(CC) -O2 -o $(BUILD)/leak_scan bench/leak_scan.c
	@for n in 100000 1000000; do \
	    LD_PRELOAD=$(BUILD)/libmemboss.so MEMBOSS_OPTIONS=mode=check:guard_max=0 $(BUILD)/leak_scan $$n; done

# The cost of stack capture per malloc+free pair, by call depth (bench/stack_cost.sh).
bench-stack: all
	@bash bench/stack_cost.sh $(BUILD)

# ---- fuzzing: libFuzzer harnesses, built with clang (docs/fuzzing.md) --------------------
# fuzz_heap links an instrumented copy of the runtime (coverage for the fuzzer, UBSan with
# trapping, without a runtime: an ud2, a SIGILL the fuzzer records): memboss is that program's malloc, so no
# AddressSanitizer there. fuzz_options links the parser's two files with ASan and UBSan.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_UBSAN   := -fsanitize=undefined -fsanitize-trap=undefined
FUZZ_RT_OBJS := $(patsubst src/%.c,$(FUZZ_DIR)/obj/rt/%.o,$(RT_SRCS))
FUZZ_BINS    := $(FUZZ_DIR)/fuzz_heap $(FUZZ_DIR)/fuzz_options

$(FUZZ_DIR)/obj/rt/%.o: src/%.c $(RT_HDRS)
	@mkdir -p $(dir $@)
	$(call say,FUZZCC  $<)
	$(Q)$(FUZZ_CC) $(RT_FLAGS) -fsanitize=fuzzer-no-link $(FUZZ_UBSAN) -c $< -o $@

$(FUZZ_DIR)/libmemboss.a: $(FUZZ_RT_OBJS)
	@rm -f $@
	$(call say,AR      $@)
	$(Q)ar rcs $@ $(FUZZ_RT_OBJS)

$(FUZZ_DIR)/fuzz_heap: fuzz/fuzz_heap.c $(FUZZ_DIR)/libmemboss.a include/memboss.h
	$(call say,FUZZCC  $<)
	$(Q)$(FUZZ_CC) $(STD) $(WARN) -O2 -g -Iinclude -fno-builtin \
	    -fsanitize=fuzzer $(FUZZ_UBSAN) \
	    -o $@ $< $(FUZZ_DIR)/libmemboss.a -lpthread

$(FUZZ_DIR)/fuzz_options: fuzz/fuzz_options.c src/options.c src/report/fmt.c $(RT_HDRS)
	@mkdir -p $(dir $@)
	$(call say,FUZZCC  $<)
	$(Q)$(FUZZ_CC) $(STD) $(WARN) -O1 -g -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ $< src/options.c src/report/fmt.c

fuzz-build: $(FUZZ_BINS)

# Each harness for FUZZ_SECONDS (fuzz_heap in fast and in check mode); corpora grow in
# $(BUILD)/fuzz/corpus, findings land in $(BUILD)/fuzz/artifacts.
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@sh fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# The brief run CI makes.
fuzz-quick: deps-fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@sh fuzz/run.sh $(FUZZ_DIR) 20

# The benchmark (bench/README.md): memboss fast mode against glibc, jemalloc, tcmalloc and
# mimalloc on workloads and real programs; check mode against Valgrind and ASan. Tables and
# a chart in bench/results/. bench: about 10 minutes on 2 cores; bench-quick: about 1.
bench: deps-bench all
	@python3 bench/run.py --build $(BUILD)

bench-quick: deps-bench all
	@python3 bench/run.py --quick --build $(BUILD) --out bench/results/quick

# Check mode's settings side by side (README's table of guarantees and costs): about 5 min.
bench-settings: deps-bench all
	@python3 bench/run.py --settings --build $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/memboss $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/memboss $(DESTDIR)$(PREFIX)/bin/memboss
	install -m 755 $(BUILD)/libmemboss.so $(DESTDIR)$(PREFIX)/lib/memboss/libmemboss.so
	install -m 644 $(BUILD)/libmemboss.a $(DESTDIR)$(PREFIX)/lib/memboss/libmemboss.a
	install -m 644 include/memboss.h $(DESTDIR)$(PREFIX)/include/memboss.h

clean:
	rm -rf $(BUILD)
	@$(MAKE) --no-print-directory -C examples clean 2>/dev/null || true
