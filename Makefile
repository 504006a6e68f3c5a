# Two entry points for a fresh Debian 12 machine: `make demo` and `make check`.
BUILD ?= build
JOBS ?= $(shell nproc)
TSU := $(BUILD)/apps/tsu/tsu
PYTHON := .venv/bin/python

.PHONY: deps build python demo check check-sanitize fuzz bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The Python package (pyproject.toml) into .venv; its build folder build/python is kept, so a
# rebuild compiles only what changed.
python: deps
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(PYTHON) -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps .

demo: build
	bash scripts/demo.sh $(TSU)

# Every test: the suite of the build and the Python package, then the reliability runs
# (docs/reliability.md): every fuzz harness for 20 s, and the sanitizer suites.
check: build python
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(PYTHON) -m pytest -q python/tests
	$(MAKE) fuzz FUZZ_SECONDS=20
	$(MAKE) check-sanitize

# The libFuzzer harnesses of fuzz/ (clang, ASan + UBSan), each run FUZZ_SECONDS from its seeds.
FUZZ_SECONDS ?= 60
CLANG ?= clang++-14
SANITIZED := -DTSU_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1
fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=$(CLANG) -DTSU_PART=fuzz -DBUILD_SHARED_LIBS=OFF $(SANITIZED)
	cmake --build build-fuzz -j $(JOBS)
	bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, built portable (-DTSU_NATIVE=OFF:
# the scalar kernels, which the sweep-by-sweep tests hold to the reference backend's states as they
# do the AVX-512 ones); then the engine's tests built for this CPU (the AVX-512 kernels) under the same
# sanitizers, and under ThreadSanitizer (clang, LLVM's OpenMP with its Archer tool).
# Leak checking is off in the whole suite (LeakSanitizer's tracer crashes in processes that load
# libtorch) and on in the engine's suite and the fuzzers. The kill-and-resume tests are left out
# here: they test processes, not memory, and take minutes each at the sanitized portable speed.
ASAN_ENV = ASAN_OPTIONS=detect_leaks=$(1):abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:ignore_noninstrumented_modules=1 \
	OMP_TOOL_LIBRARIES=/usr/lib/llvm-14/lib/libarcher.so
check-sanitize: deps
	cmake -S . -B build-sanitize -DTSU_NATIVE=OFF $(SANITIZED)
	cmake --build build-sanitize -j $(JOBS)
	cd build-sanitize && $(call ASAN_ENV,0) ctest --output-on-failure -j $(JOBS) -E '^Durability\.Killed'
	cmake -S . -B build-sanitize-engine -DTSU_PART=engine $(SANITIZED)
	cmake --build build-sanitize-engine -j $(JOBS)
	cd build-sanitize-engine && $(call ASAN_ENV,1) ctest --output-on-failure -j $(JOBS)
	cmake -S . -B build-tsan -DCMAKE_CXX_COMPILER=$(CLANG) -DTSU_PART=engine -DTSU_SANITIZE=thread \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS)

bench: build
	$(TSU) bench

clean:
	rm -rf $(BUILD) build/python build-fuzz build-sanitize build-sanitize-engine build-tsan
