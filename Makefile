# The two commands the README opens with. Both install what is missing first (scripts/bootstrap.sh).
#   make demo   build, then open the console on a local sandbox with a live incident
#   make test   build, then run every test (unit, integration against moto_server, tmux end to end)

SHELL := /bin/bash
SWIFT ?= swift
# moto_server from PATH, or from the checkout's own venv when bootstrap had to install it.
export PATH := $(CURDIR)/.build-venv/bin:$(PATH)
TEST_RUN_DIR := $(CURDIR)/.build/test-run

.PHONY: demo test build deps bench link-order stress fuzz clean

deps:
	@scripts/bootstrap.sh

build: deps
	$(SWIFT) build

demo: build
	@scripts/with-utf8.sh .build/debug/breakglass demo

test:
	@scripts/bootstrap.sh --tests
	$(SWIFT) build --build-tests
	@rm -rf $(TEST_RUN_DIR) && mkdir -p $(TEST_RUN_DIR)
	@status=0; \
	BREAKGLASS_TEST_RUN_DIR=$(TEST_RUN_DIR) BREAKGLASS_BIN=$(CURDIR)/.build/debug/breakglass \
	  $(SWIFT) test --skip-build 2>&1 | tee $(TEST_RUN_DIR)/swift-test.log; status=$${PIPESTATUS[0]}; \
	for f in $(TEST_RUN_DIR)/moto-*.pid; do \
	  [ -f "$$f" ] || continue; pid=$$(cat "$$f"); \
	  if kill -0 "$$pid" 2>/dev/null; then echo "make test: stopping moto_server $$pid left by a test"; kill "$$pid"; fi; \
	done; \
	for f in $(TEST_RUN_DIR)/sandbox-*.pid; do \
	  [ -f "$$f" ] || continue; pid=$$(cat "$$f"); \
	  if kill -0 "$$pid" 2>/dev/null; then echo "make test: stopping sandbox supervisor $$pid left by a test"; kill "$$pid"; fi; \
	done; \
	for f in $(TEST_RUN_DIR)/agent-*.pid; do \
	  [ -f "$$f" ] || continue; pid=$$(cat "$$f"); \
	  if kill -0 "$$pid" 2>/dev/null; then echo "make test: stopping access agent $$pid left by a test"; kill "$$pid"; fi; \
	done; \
	for s in $(TEST_RUN_DIR)/tmux-*.sock; do \
	  [ -S "$$s" ] && tmux -S "$$s" kill-server 2>/dev/null && echo "make test: stopped tmux session $$s left by a test"; \
	done; \
	scripts/test-summary.sh $(TEST_RUN_DIR)/swift-test.log $$status; \
	exit $$status

# The release build `make bench` measures (docs/PERFORMANCE.md): the Swift runtime and Foundation
# linked in (one image instead of ~15 shared libraries to map and relocate at every start), by lld
# with packed relative relocations (DT_RELR, glibc 2.36 or later), which shrink the 2 MB table of
# relocations read at start to 17 KB. Every function in a section of its own, so the linker can lay
# out the ones `breakglass` runs together, first, in the order scripts/link-order.txt gives (make
# link-order): ~7 MB fewer pages of the executable resident. No symbol exported from the executable (nothing
# loads it as a library): 17,000 fewer for the dynamic loader to search at start. `make build` and
# `make demo` stay debug builds.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
  -Xlinker --symbol-ordering-file=$(CURDIR)/scripts/link-order.txt -Xlinker --no-warn-symbol-ordering \
  -Xlinker --no-export-dynamic

# SwiftPM does not know the link order is an input of the link: release binaries older than it are
# removed, so the next build links them again.
RELINK_IF_ORDER_CHANGED := for b in .build/release/breakglass .build/release/breakglass-bench; do \
	  [ -e "$$b" ] && [ scripts/link-order.txt -nt "$$b" ] && rm -f "$$b"; done; true

# The console is measured from installed copies of the binaries, as a package puts them on disk:
# resident code pages depend on how a file entered the page cache (the linker's own writes leave it
# in small pieces, so the same binary measures ~2 MB smaller where it was linked).
bench: build
	@$(RELINK_IF_ORDER_CHANGED)
	$(SWIFT) build $(RELEASE_FLAGS) --product breakglass-bench
	$(SWIFT) build $(RELEASE_FLAGS) --product breakglass
	@dir=$$(mktemp -d) && install -m 755 .build/release/breakglass .build/release/breakglass-bench "$$dir" && \
	  "$$dir/breakglass-bench" all --breakglass "$$dir/breakglass"; status=$$?; rm -rf "$$dir"; exit $$status

# Regenerates scripts/link-order.txt from callgrind profiles of the release `breakglass` (the console
# loading and refreshing 10,000 alarms, `breakglass alarms`); commit the result. Installs valgrind.
link-order: deps
	@scripts/link-order.sh $(RELEASE_FLAGS)

# Not part of `make test`: kills the console, the watch daemon and runbook runs with SIGKILL at least
# 200 times and checks the state, the audit chain and that no finished step is sent again
# (docs/STRESS.md; ~15 minutes here). STRESS_ITERATIONS=N for more or fewer.
stress: deps
	@scripts/stress.sh

# Not part of `make test` (which replays the corpus): libFuzzer on each parser for FUZZ_SECONDS
# (default 60) in its own scratch path, .build-fuzz (docs/FUZZING.md).
fuzz: deps
	@scripts/fuzz.sh

clean:
	rm -rf .build .build-venv
