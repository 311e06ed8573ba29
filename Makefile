# Thin wrapper over Meson for the README's two commands.
BUILD ?= build
DATA ?= $(CURDIR)/.zke
PORT ?= 6443

.PHONY: all deps build run test unit integration asan fuzz bench clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --werror

# Meson reads the source lists at configure time; reconfigure when they change.
build: $(BUILD)/build.ninja
	@list=$$(cd src && ls */*.c; cd ../tests && ls unit/*/test_*.c fuzz/fuzz_*.c 2>/dev/null; cd ../deploy && ls crds/*.yaml); \
	if [ "$$list" != "$$(cat $(BUILD)/.zk-files 2>/dev/null)" ]; then \
	  meson setup --reconfigure $(BUILD) >/dev/null && echo "$$list" > $(BUILD)/.zk-files; fi
	ninja -C $(BUILD)

# Install what is missing, build, and start a single-machine cluster with
# the parcel demo (scripts/run.sh); Ctrl-C stops and cleans up.
run: deps build
	@DATA=$(DATA) PORT=$(PORT) BUILD=$(BUILD) bash scripts/run.sh

# Install, build and run every suite; ends with "N passed, N failed".
test: deps build
	@bash scripts/test.sh

bench: deps build
	@bash bench/api.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz
