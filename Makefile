# Two entry points for a fresh Debian 12 machine: `make demo` and `make check`.
BUILD ?= build
JOBS ?= $(shell nproc)
TSU := $(BUILD)/apps/tsu/tsu

.PHONY: deps build demo check bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash scripts/demo.sh $(TSU)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	$(TSU) bench

clean:
	rm -rf $(BUILD)
