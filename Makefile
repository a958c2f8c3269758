# meshcanary — see README.md. `make help` lists the targets.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/meshcanary/meshcanary/internal/version.Version=$(VERSION)
E2E_FLAGS ?= -timeout 40m
FUZZTIME  ?= 10s

.DEFAULT_GOAL := help

include hack/tools.mk

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/meshcanary (also usable as kubectl-meshcanary)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/meshcanary ./cmd/meshcanary
	ln -sf meshcanary bin/kubectl-meshcanary

.PHONY: lint
lint: bin/staticcheck ## go vet, a gofmt check and staticcheck (pinned in tools/staticcheck)
	$(GO) vet ./...
	$(GO) -C test/xds vet -tags e2e ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^tools/')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	bin/staticcheck -tags e2e,scale ./...

bin/staticcheck: tools/staticcheck/go.mod tools/staticcheck/go.sum
	$(GO) -C tools/staticcheck build -trimpath -o ../../bin/staticcheck honnef.co/go/tools/cmd/staticcheck

.PHONY: test-unit
test-unit: ## Unit tests, golden files, property tests and a short fuzz run
	GO=$(GO) ./hack/gotest.sh unit -count=1 ./...
	$(GO) -C test/grafana/promqlparse test -count=1 ./...
	$(GO) -C test/xds test -count=1 ./...
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./pkg/config
	$(GO) test -run='^$$' -fuzz=FuzzVirtualServicesList -fuzztime=$(FUZZTIME) ./pkg/config
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./pkg/strategy

.PHONY: test-istio-golden
test-istio-golden: ## Istio's own validation over every golden file of pkg/istio (builds istio.io/istio: slow when cold)
	$(GO) -C tools/istio test -count=1 ./...

.PHONY: test-e2e
test-e2e: tools build ## End-to-end suite on a local control plane (etcd, kube-*, kwok, Prometheus)
	GO=$(GO) ./hack/gotest.sh e2e -count=1 -tags e2e $(E2E_FLAGS) ./test/... ./pkg/gates/...
	GO=$(GO) MODULE_DIR=test/xds ./hack/gotest.sh xds -count=1 -tags e2e $(E2E_FLAGS) ./...

.PHONY: test
test: lint test-unit test-e2e ## Everything CI runs: lint, unit, fuzz, end to end
	@GO=$(GO) ./hack/summary.sh

.PHONY: demo
demo: tools build ## Start a local control plane and watch a good and a bad canary release
	$(GO) run ./test/demo

.PHONY: clean
clean: ## Remove built binaries and e2e logs (keeps the cached tools)
	rm -rf bin/meshcanary bin/kubectl-meshcanary .e2e

N ?= 10
.PHONY: bench-scale
bench-scale: tools build ## Scale benchmark against Flagger's figures: N canaries released at once (default 10)
	$(GO) test -tags scale -run '^$$' -bench Scale -benchtime 1x -count=1 -timeout 3h ./test/scale -args -canaries $(N)

.PHONY: bench-compare
bench-compare: tools-flagger build ## Flagger and meshcanary side by side, with the cluster floor: N canaries of 2 replicas (default 10)
	$(GO) test -tags scale -run '^$$' -bench Compare -benchtime 1x -count=1 -timeout 6h ./test/scale -args -canaries $(N) -replicas 2

.PHONY: bench-floor
bench-floor: tools ## Only bench-compare's two cluster floors (promotion by rollout and by role swap), no controller: N canaries of 2 replicas
	$(GO) test -tags scale -run '^$$' -bench Compare -benchtime 1x -count=1 -timeout 3h ./test/scale -args -canaries $(N) -replicas 2 -only-floor
