# The two commands the README opens with. Both install what is missing first (scripts/bootstrap.sh).
#   make demo   build, then open the console on a local sandbox with a live incident
#   make test   build, then run every test (unit, integration against moto_server, tmux end to end)

SHELL := /bin/bash
SWIFT ?= swift
# moto_server from PATH, or from the checkout's own venv when bootstrap had to install it.
export PATH := $(CURDIR)/.build-venv/bin:$(PATH)
TEST_RUN_DIR := $(CURDIR)/.build/test-run

.PHONY: demo test build deps bench clean

deps:
	@scripts/bootstrap.sh

build: deps
	$(SWIFT) build

demo: build
	@scripts/with-utf8.sh .build/debug/breakglass demo

test: deps
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

bench: build
	$(SWIFT) build -c release --product breakglass-bench
	$(SWIFT) build -c release --product breakglass
	.build/release/breakglass-bench sign
	.build/release/breakglass-bench console --breakglass .build/release/breakglass

clean:
	rm -rf .build .build-venv
