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

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Install what is missing, build, and start a single-machine cluster.
run: deps build
	@echo "zke: starting the server; data in $(DATA)"
	@echo "zke: kubeconfig: $(DATA)/kubeconfig.yaml"
	@echo "zke: try: KUBECONFIG=$(DATA)/kubeconfig.yaml kubectl get namespaces"
	$(BUILD)/zke server --data-dir $(DATA) --https-port $(PORT)

# Install, build and run every suite; ends with "N passed, N failed".
test: deps build
	@bash scripts/test.sh

bench: deps build
	@bash bench/api.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz
