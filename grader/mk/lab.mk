# lab.mk - the build and run rules every lab shares.
#
# A lab's Makefile is two lines:
#     TL_ROOT ?= ../..
#     include $(TL_ROOT)/grader/mk/lab.mk
# What to compile comes from the lab's manifest, lab.conf ([lab] student_files,
# kit_sources, cflags, ldlibs). The grader calls these same rules on a staging
# copy, so what a student runs and what is graded are built alike.
#
#   make            build the tests (VARIANT=plain|tsan|asan|coverage)
#   make test       run every test, cmocka output
#   make list       list the tests with their points
#   make run T=NAME [SEED=N] [PERTURB=1]   run one test (SEED and PERTURB replay a stress run)
#   make grade      grade this lab as the grader would (public tests)
#   make programs   build lab.conf's programs; make report runs its report line
#   make bench [RUNS=N] [QUICK=1]   lab.conf [bench]: our programs against their
#                   peers, run alternately (grader/tools/bench.py); make bench-build

TL_ROOT ?= ../..
TL_ROOT := $(abspath $(TL_ROOT))
VARIANT ?= plain
BUILD ?= build/$(VARIANT)
LAB_SLUG := $(notdir $(CURDIR))
# The reference tree is the solution: its files are built with -DSOLUTION.
SOLUTION ?= $(if $(findstring /reference/,$(CURDIR)/),1,0)
HIDDEN ?= $(SOLUTION)

conf = $(shell $(TL_ROOT)/grader/tools/conf-get.sh lab.conf lab $(1))
STUDENT_FILES := $(call conf,student_files)
KIT_SOURCES := $(call conf,kit_sources)
LAB_CFLAGS := $(call conf,cflags)
LAB_LDLIBS := $(call conf,ldlibs)
SOURCES := $(filter %.c %.S,$(STUDENT_FILES) $(KIT_SOURCES))
PROGRAMS := $(call conf,programs)
MODULES := $(call conf,modules)
REPORT := $(call conf,report)
bconf = $(shell $(TL_ROOT)/grader/tools/conf-get.sh lab.conf bench $(1))
BENCH_PROGRAMS := $(call bconf,programs)
BENCH_PEERS := $(call bconf,peers)
BENCH_PKGS := $(call bconf,pkgs)
BENCH_PEER_CFLAGS := $(call bconf,peer_cflags)
BENCH_PEER_LDLIBS := $(call bconf,peer_ldlibs)
BENCH_PAIRS := $(call bconf,pairs)
BENCH_CARGO := $(call bconf,cargo)
BENCH_GO := $(call bconf,go)

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
WARN := -Wall -Wextra -Wno-unused-parameter
CFLAGS_plain := -O2 -g
CFLAGS_tsan := -O1 -g -fsanitize=thread
CFLAGS_asan := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS_coverage := -O0 -g --coverage -fprofile-update=atomic -DTL_COVERAGE
LDFLAGS_coverage := -Wl,--wrap=_exit -Wl,--wrap=abort
VFLAGS := $(CFLAGS_$(VARIANT))
ifeq ($(VFLAGS),)
$(error unknown VARIANT '$(VARIANT)': use plain, tsan, asan or coverage)
endif
CPPFLAGS += -Iinclude -Isrc -I$(TL_ROOT)/grader/harness -D_GNU_SOURCE
ifeq ($(SOLUTION),1)
CPPFLAGS += -DSOLUTION
endif
ALL_CFLAGS = -std=gnu11 $(WARN) $(VFLAGS) $(LAB_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(LAB_LDLIBS) -lcmocka -lpthread $(LDLIBS)

OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(SOURCES))
HARNESS := $(BUILD)/harness/tl_harness.o $(BUILD)/harness/tl_perturb.o
# Schedule perturbation (tl_perturb.c): the wrapped calls.
include $(TL_ROOT)/grader/mk/perturb.mk
# [lab] platform = windows: mingw-w64, cmocka built for Windows, tests run
# under Wine (grader/mk/windows.mk redefines the compiler and the harness).
PLATFORM := $(or $(call conf,platform),linux)
TEST_SRCS := $(wildcard tests/*.c)
ifeq ($(HIDDEN),1)
TEST_SRCS += $(wildcard hidden/*.c)
endif
TEST_BINS := $(patsubst %.c,$(BUILD)/%,$(TEST_SRCS))
HEADERS := $(wildcard include/*.h src/*.h tests/*.h $(TL_ROOT)/grader/harness/*.h)
# lab.conf's programs (built with the lab's objects, no test harness) and
# modules (shared objects the tests dlopen: always -O2 -fPIC, whatever the
# variant, and built before the tests).
PROG_BINS := $(patsubst %.c,$(BUILD)/%,$(PROGRAMS))
# Benchmark programs: the lab's objects without the tests' --wrap hooks.
BENCH_BINS := $(patsubst %.c,$(BUILD)/%,$(BENCH_PROGRAMS))
BENCH_LDLIBS := $(foreach f,$(LAB_LDLIBS),$(if $(findstring --wrap=,$(f)),,$(f)))
# Benchmark peers stand alone (no lab code): C with $(CC), C++ with $(CXX),
# compiled and linked with the pkg-config packages lab.conf [bench] names
# and its peer_ldlibs (libraries with no pkg-config file: -lboost_context).
# Each is built by its file name into the pairs' folder, where bench.py
# looks programs up, so a lab may name another lab's peer without a copy:
# lab 04's `peers = ../02-green-threads/bench/peer_minswitch.c` is built
# into lab 04's build/plain/bench/peer_minswitch, named peer_minswitch in
# its pairs.
BENCH_BIN_DIR = $(BUILD)/$(dir $(BENCH_PAIRS))
peer_bin = $(BENCH_BIN_DIR)$(basename $(notdir $(1)))
PEER_C_BINS := $(foreach p,$(filter %.c,$(BENCH_PEERS)),$(call peer_bin,$(p)))
PEER_CXX_BINS := $(foreach p,$(filter %.cpp,$(BENCH_PEERS)),$(call peer_bin,$(p)))
CXX ?= g++
# Rust peers: one Cargo project per folder, the package named as the folder,
# built offline (its .cargo/config.toml points at Debian's crates) from a
# copy under $(BUILD), so the source tree gets no Cargo.lock or target/;
# the compiled crates are shared by every lab in the kit's build/cargo.
# Like a C peer, the program goes by its folder name into the pairs'
# folder, so a lab may name another lab's project: lab 05's
# `cargo = ../13-rust-async/bench/tokio_peer` is built into lab 05's
# build/plain/bench/tokio_peer.
CARGO_BINS := $(foreach d,$(BENCH_CARGO),$(call peer_bin,$(d)))
# Go peers: one folder per program (go.mod with no requires, main.go:
# the standard library only), named as the folder, built with Debian's
# golang-go from a copy under $(BUILD): the local toolchain only, no module
# proxy (nothing to fetch), the build cache and GOPATH under $(BUILD), no
# user go env file, no VCS stamp. Nothing touches the network.
GO_BINS := $(patsubst %,$(BUILD)/%,$(BENCH_GO))
GO_ENV = GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOENV=off GOWORK=off CGO_ENABLED=0 \
  GOCACHE=$(abspath $(BUILD))/go/cache GOPATH=$(abspath $(BUILD))/go/path
PEER_FLAGS = -O2 -g -pthread $(if $(filter 1,$(SOLUTION)),-DSOLUTION) $(BENCH_PEER_CFLAGS)
PKG_FLAGS = flags=; [ -z "$(BENCH_PKGS)" ] || flags=$$(pkg-config --cflags --libs $(BENCH_PKGS) 2>&1) || { \
  echo "bench: the peers need the Debian packages behind pkg-config '$(BENCH_PKGS)': run make deps ($$flags)"; exit 1; }
MODULE_SOS := $(foreach m,$(MODULES),$(BUILD)/$(dir $(m))lib$(basename $(notdir $(m))).so)

ifeq ($(PLATFORM),windows)
include $(TL_ROOT)/grader/mk/windows.mk
endif

.PHONY: all tests test list run grade clean objects programs report bench bench-build
all tests: $(TEST_BINS)

$(BUILD)/obj/%.c.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/harness/%.o: $(TL_ROOT)/grader/harness/%.c $(TL_ROOT)/grader/harness/tl_harness.h $(TL_ROOT)/grader/include/tl_proto.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

ifneq ($(PLATFORM),windows)
$(BUILD)/%: %.c $(OBJS) $(HARNESS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS_$(VARIANT)) $(PERTURB_WRAP) $< $(OBJS) $(HARNESS) $(LDLIBS_ALL) -o $@
endif

$(if $(PROG_BINS),$(PROG_BINS)): $(BUILD)/%: %.c $(OBJS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS_$(VARIANT)) $< $(OBJS) $(LAB_LDLIBS) -lpthread $(LDLIBS) -o $@

$(if $(BENCH_BINS),$(BENCH_BINS)): $(BUILD)/%: %.c $(OBJS) $(HEADERS) $(wildcard $(dir $(BENCH_PROGRAMS))*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $< $(OBJS) $(BENCH_LDLIBS) -lpthread $(LDLIBS) -o $@

$(TEST_BINS): $(MODULE_SOS)
define tl_module_rule
$(BUILD)/$(dir $(1))lib$(basename $(notdir $(1))).so: $(1)
	@mkdir -p $$(dir $$@)
	$$(CC) -std=gnu11 $$(WARN) -O2 -g -fPIC -shared $$< -o $$@
endef
$(foreach m,$(MODULES),$(eval $(call tl_module_rule,$(m))))

# $(1): the peer's source; $(2): the compiler variable (CC or CXX); $(3): its -std
# A peer is rebuilt when a header beside it changes (the work it shares
# with our program: bench/work.h, bench/qsort_work.h); the reference's
# peers see -DSOLUTION, so a peer that is a lab's answer written out
# (lab 02's minimal switch) ships to students as a stub.
define tl_peer_rule
$(call peer_bin,$(1)): $(1) $(wildcard $(dir $(1))*.h)
	@mkdir -p $$(dir $$@)
	@$$(PKG_FLAGS); echo "$$($(2)) $$(PEER_FLAGS) $$< $$$$flags $$(BENCH_PEER_LDLIBS) -o $$@"; \
	  $$($(2)) -std=$(3) $$(WARN) $$(PEER_FLAGS) $$< $$$$flags $$(BENCH_PEER_LDLIBS) -o $$@
endef
$(foreach p,$(filter %.c,$(BENCH_PEERS)),$(eval $(call tl_peer_rule,$(p),CC,gnu11)))
$(foreach p,$(filter %.cpp,$(BENCH_PEERS)),$(eval $(call tl_peer_rule,$(p),CXX,gnu++17)))

define tl_cargo_rule
$(call peer_bin,$(1)): $(1)/Cargo.toml $(wildcard $(1)/src/*.rs) $(wildcard $(1)/.cargo/*)
	@command -v cargo >/dev/null || { echo "bench: $(1) is a Rust program and cargo is missing: run make deps"; exit 1; }
	@rm -rf $(BUILD)/cargo-src/$(notdir $(1)) && mkdir -p $(BUILD)/cargo-src $$(dir $$@) && cp -r $(1) $(BUILD)/cargo-src/
	cd $(BUILD)/cargo-src/$(notdir $(1)) && cargo build -q --release --offline --target-dir $(TL_ROOT)/build/cargo
	@cp $(TL_ROOT)/build/cargo/release/$(notdir $(1)) $$@
endef
$(foreach d,$(BENCH_CARGO),$(eval $(call tl_cargo_rule,$(d))))

define tl_go_rule
$(BUILD)/$(1): $(1)/go.mod $(wildcard $(1)/*.go)
	@command -v go >/dev/null || { echo "bench: $(1) is a Go program and go is missing: run make deps (Debian's golang-go)"; exit 1; }
	@rm -rf $(BUILD)/go-src/$(notdir $(1)) && mkdir -p $(BUILD)/go-src $$(dir $$@) && cp -r $(1) $(BUILD)/go-src/
	cd $(BUILD)/go-src/$(notdir $(1)) && $$(GO_ENV) go build -buildvcs=false -o $$(abspath $$@) .
endef
$(foreach d,$(BENCH_GO),$(eval $(call tl_go_rule,$(d))))

objects: $(OBJS)

programs: $(PROG_BINS)

bench-build: $(BENCH_BINS) $(PEER_C_BINS) $(PEER_CXX_BINS) $(CARGO_BINS) $(GO_BINS)
	@test -n "$(BENCH_PAIRS)" || { echo "$(LAB_SLUG) has no benchmark (lab.conf [bench])"; exit 2; }

bench: bench-build
	@python3 $(TL_ROOT)/grader/tools/bench.py --bin $(BENCH_BIN_DIR) --pairs $(BENCH_PAIRS) \
	  --lab $(LAB_SLUG) --json $(or $(BENCH_JSON),$(BUILD)/bench.json) $(if $(RUNS),--runs $(RUNS)) $(if $(filter 1,$(QUICK)),--quick)

report: $(PROG_BINS)
	@test -n "$(REPORT)" || { echo "$(LAB_SLUG) has no report (lab.conf [lab] report)"; exit 2; }
	$(BUILD)/$(REPORT)

test: $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
	  echo "== $$t"; $$t || fail=1; \
	done; \
	if [ $$fail = 0 ]; then echo "$(LAB_SLUG): all tests passed"; \
	else echo "$(LAB_SLUG): some tests FAILED (replay one: make run T=<name>)"; exit 1; fi

list: $(TEST_BINS)
	@for t in $(TEST_BINS); do echo "== $$t"; $$t --list; done

run: $(TEST_BINS)
	@test -n "$(T)" || { echo "usage: make run T=<test name> [SEED=<n>]"; exit 2; }
	@for t in $(TEST_BINS); do \
	  if $$t --list | awk '{print $$1}' | grep -qx '$(T)'; then \
	    echo "$(if $(SEED),TL_SEED=$(SEED) )$(if $(PERTURB),TL_PERTURB=$(PERTURB) )$$t --run $(T)"; \
	    $(if $(SEED),TL_SEED=$(SEED)) $(if $(PERTURB),TL_PERTURB=$(PERTURB)) $$t --run $(T); exit $$?; fi; \
	done; echo "no test named $(T) (see make list)"; exit 2

grade:
	$(MAKE) -C $(TL_ROOT) grade LAB=$(LAB_SLUG)

clean:
	rm -rf build
