# tools.mk: the local control plane's binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok, helm, istio-webhook, pilot-discovery) built from the
# pinned modules under tools/ into bin/, plus Prometheus. Included by the top-level
# Makefile. A second `make tools` is instant: hack/build-tools.sh rebuilds a binary
# only when it is missing or its tools module changed.

.PHONY: tools
tools: ## Build or install the local control plane's binaries into bin/
	./hack/build-tools.sh

.PHONY: tools-flagger
tools-flagger: ## The tools, and Flagger 1.44.0 for `make bench-compare`, into bin/
	WITH_FLAGGER=1 ./hack/build-tools.sh
