# Top-level entry points. `make demo` and `make test` install what is missing, build and run.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps deps-test build demo test test-unit test-fuzz test-asan bench format format-check clean

deps:
	scripts/install-deps.sh

deps-test:
	scripts/install-deps.sh --test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the most complete pipeline on built-in data.
demo: deps
	$(MAKE) build
	scripts/demo.sh $(BUILD)/apps/augur/augur

# Every test: unit, dataset (skipped without ../shared), server, slow, browser, e2e; then fuzz.
test: deps-test
	$(MAKE) build
	cd $(BUILD) && OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE ctest -j $(JOBS) --output-on-failure --timeout 900
	$(MAKE) test-fuzz

test-unit: build
	cd $(BUILD) && ctest -j $(JOBS) -L unit --output-on-failure

# libFuzzer targets under ASan/UBSan, each for AUGUR_FUZZ_SECONDS (clang 14).
test-fuzz:
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DAUGUR_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS)
	cd build-fuzz && ctest -j $(JOBS) -L fuzz --output-on-failure

# Torch-free targets under AddressSanitizer + UBSan.
test-asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DAUGUR_SANITIZE=ON -DAUGUR_WITH_TORCH=OFF -DAUGUR_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest -j $(JOBS) -L unit --output-on-failure

bench: build
	scripts/bench.sh $(BUILD)

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.h')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD) build-fuzz build-asan
