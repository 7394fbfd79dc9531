# One entry point for people and CI. The two commands the README starts with:
#   make demo   sets up everything on a fresh machine, then runs the main job
#   make test   runs every test (CI runs exactly this, through .ci/run)

GO        ?= go
BIN       := $(CURDIR)/bin
ASSETS    := $(CURDIR)/.cache/kube-assets
PG_BIN    := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin)))

# Lint tools: pinned here, built from the Go module proxy into the tool cache, once per version.
STATICCHECK_VERSION := v0.8.2
TOOLS       := $(CURDIR)/.cache/tools
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)

# Our binaries first; PostgreSQL's server binaries and the locally built kube tools as fallbacks.
export PATH := $(BIN):$(PATH):$(PG_BIN):$(ASSETS)
export KUBEBUILDER_ASSETS := $(ASSETS)
# Ryuk's image cannot be pulled here; our tests clean up after themselves.
export TESTCONTAINERS_RYUK_DISABLED := true
# Inside a container testcontainers-go guesses the default gateway as the Docker host; the
# engine's socket is local, so published ports are on 127.0.0.1.
export TESTCONTAINERS_HOST_OVERRIDE := 127.0.0.1
# No registry is reachable: the simulator and its tests use the images `make images` builds.
export KONGDB_SIM_KONG_IMAGE ?= kongdb/kong-emulator:3.9
export KONGDB_SIM_POSTGRES_IMAGE ?= kongdb/postgres:15
export KONGDB_SIM_ECHO_IMAGE ?= kongdb/echo:latest

# Unit tests of pure logic and the emulator run with the race detector; end-to-end packages
# (real kube-apiserver, real kubectl, subprocesses) run without it, for time.
UNIT_PKGS := ./pkg/... ./sim/... ./cmd/... ./hack/...
E2E_PKGS  := ./e2e/... ./internal/...

.PHONY: demo test deps deps-demo build images install lint unit e2e bench dist clean

demo: deps-demo build images ## the main job: see hack/demo.sh
	@hack/demo.sh

test: deps images lint unit e2e ## every test

deps: ## install or build what this machine lacks (PostgreSQL, kube-apiserver, etcd, kubectl)
	@hack/deps.sh

deps-demo: ## what the demo needs: PostgreSQL and kubectl (the demo starts no kube-apiserver or etcd)
	@hack/deps.sh demo

build: ## the plugin (also as kongdb), its completion shim, and the Kong emulator into bin/
	@echo "build: kubectl-kongdb and kong-emulator into bin/ (the first time a few minutes while Go compiles every dependency; then seconds)" >&2
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/kubectl-kongdb ./cmd/kubectl-kongdb
	$(GO) build -o $(BIN)/kong-emulator ./cmd/kong-emulator
	@ln -sf kubectl-kongdb $(BIN)/kongdb
	@cp hack/completion/kubectl_complete-kongdb $(BIN)/

images: ## build, with nothing pulled, the emulator, PostgreSQL and echo images the simulator uses, and kongdb's own (install)
	@KONGDB_IMAGE_KONG=$(KONGDB_SIM_KONG_IMAGE) KONGDB_IMAGE_POSTGRES=$(KONGDB_SIM_POSTGRES_IMAGE) \
		KONGDB_IMAGE_ECHO=$(KONGDB_SIM_ECHO_IMAGE) GO=$(GO) hack/images/build.sh
	@GO=$(GO) hack/images/kongdb.sh

install: build ## copy the plugin and its completion shim to $(PREFIX)/bin (default /usr/local)
	install -m 0755 $(BIN)/kubectl-kongdb $(BIN)/kubectl_complete-kongdb $(or $(PREFIX),/usr/local)/bin/

lint: $(STATICCHECK) ## gofmt, go vet, go mod tidy and staticcheck must be clean; no tracked binary or file over 512 KiB outside testdata
	$(GO) run ./hack/treecheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(STATICCHECK) ./...

# Built in a temporary GOBIN and moved into place, so a build cut short, or two worktrees
# sharing the cache, never leave a half-written binary under the final name.
$(STATICCHECK):
	@mkdir -p $(TOOLS)
	@tmp=$$(mktemp -d $(TOOLS)/.build-XXXXXX) && \
	GOBIN=$$tmp $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) && \
	mv $$tmp/staticcheck $@ && rm -rf $$tmp

unit:
	$(GO) test -race -count=1 -timeout 30m $(UNIT_PKGS)

e2e:
	$(GO) test -count=1 -timeout 45m $(E2E_PKGS)

bench: deps images ## every benchmark, one table printed and written into README.md (not part of test)
	@# hack/bench runs each package's benchmarks with the settings suites.go declares, then
	@# translate -f end to end at 1/10, full and 5x the issue-8 cluster; KIC_GOLDEN_TEST=<KIC's
	@# go test -c ./internal/dataplane binary> adds KIC's harness on the same files.
	$(GO) run ./hack/bench -readme README.md

dist: ## cross-build the krew archives into dist/ and write their sha256 into krew.yaml
	$(GO) run ./hack/dist -out dist -manifest krew.yaml
	$(GO) run ./hack/dist -verify -out dist -manifest krew.yaml

clean:
	rm -rf $(BIN) dist
