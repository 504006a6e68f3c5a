# Two entry points for a fresh Debian 12 machine: `make demo` and `make check`.
BUILD ?= build
JOBS ?= $(shell nproc)
TSU := $(BUILD)/apps/tsu/tsu
PYTHON := .venv/bin/python

.PHONY: deps build python demo check bench clean

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

check: build python
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(PYTHON) -m pytest -q python/tests

bench: build
	$(TSU) bench

clean:
	rm -rf $(BUILD) build/python
