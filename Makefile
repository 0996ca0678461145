# The two commands of the README:  `make demo`  and  `make test`.
MAKEFLAGS += --no-print-directory
# Each installs what it needs (scripts/setup.sh) and is safe to run again.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build

.PHONY: all setup build demo demo-c test test-c test-clang test-sanitize test-tsan test-valgrind bench bench-core clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The main demo: Fashion-MNIST, an MLP and a CNN trained with ember from Python
# (installs the data set, matplotlib and ember into .venv as needed).
demo: build
	@scripts/setup.sh --demo
	@.venv/bin/python examples/fashion_mnist.py --plot $(BUILD)/fashion_mnist.png

# The C API demo (examples/demo.c) and the same MLP in plain C (examples/mlp.c).
demo-c: build
	@./$(BUILD)/demo

demo-mlp-c: build
	@scripts/setup.sh --demo-data
	@./$(BUILD)/mlp

# Every test: the C suite (gcc), the C suite built with clang, the C suite
# under AddressSanitizer + UndefinedBehaviorSanitizer, under ThreadSanitizer,
# under valgrind, and the Python suite when the Python package exists.
test: test-c test-clang test-sanitize test-tsan test-valgrind test-python
	@echo "make test: all suites passed"

test-c: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-clang: setup
	@CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-clang -j$(JOBS)
	@cd build-clang && ctest --output-on-failure -j$(JOBS)

test-sanitize: setup
	@cmake -S . -B build-asan -DEMBER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS)

# ThreadSanitizer: every C test, threads and streams included. halt_on_error
# makes a race fail the test instead of only printing a report.
test-tsan: setup
	@cmake -S . -B build-tsan -DEMBER_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-tsan -j$(JOBS)
	@cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --output-on-failure -j$(JOBS)

test-valgrind: build
	@for t in $(BUILD)/test_*; do \
	  [ -x "$$t" ] || continue; \
	  if valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	       "$$t" > "$$t.valgrind.log" 2>&1; then echo "valgrind: $$(basename $$t) clean"; \
	  else tail -40 "$$t.valgrind.log"; echo "valgrind: $$(basename $$t) FAILED"; exit 1; fi; \
	done

test-python: setup
	@if [ -f pyproject.toml ]; then \
	  scripts/setup.sh --python && \
	  .venv/bin/python -m pip install -q . && \
	  cd /tmp && $(CURDIR)/.venv/bin/python -m pytest -q $(CURDIR)/tests/python; \
	else echo "test-python: no Python package yet"; fi

# The benchmark suite (bench/README.md): makes its own environment
# (bench/.venv), builds ember from this checkout, writes bench/results/.
# BENCH_ARGS=--quick for the short run.
bench: setup
	@python3 -m bench $(BENCH_ARGS)

# The older C-level core benchmark against NumPy alone (bench/run.py).
bench-core: build
	@scripts/setup.sh --python
	@.venv/bin/python bench/run.py

clean:
	rm -rf build build-clang build-asan build-tsan
