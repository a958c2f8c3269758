#!/usr/bin/env bash
# build-tools.sh builds the local control plane's binaries into bin/ (git-ignored):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, helm,
# istio-webhook and pilot-discovery (istiod), and with WITH_FLAGGER=1 flagger too (only
# `make bench-compare` runs it, and it takes minutes to build), each from a pinned Go
# module under tools/. A binary is rebuilt only when it is missing or when the inputs
# of its tools module (go.mod, go.sum, for istio-webhook its sources, and the link
# flags) changed since the last build, so a second run is instant.
#
# The kube binaries are stamped with the version of k8s.io/kubernetes that tools/kube
# pins, as a release build is (/version says v1.36.3, not v0.0.0-master): tools such
# as Flagger refuse to start against a server version that is not a release.
#
# Prometheus and promtool come from Debian's package when apt-get is available
# (services are kept from starting), otherwise they are built from tools/prometheus.
#
# Environment: BIN_DIR (default <repo>/bin), GO (default go), SKIP_PROMETHEUS=1,
# WITH_FLAGGER=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${BIN_DIR:-$ROOT/bin}"
GO="${GO:-go}"
STAMPS="$BIN_DIR/.stamps"
mkdir -p "$STAMPS"

log() { printf 'build-tools: %s\n' "$*" >&2; }

# inputs_hash MODULE [LDFLAGS] prints a hash of everything that decides what a tools
# module builds: its go.mod, go.sum and sources, and the link flags when there are any.
inputs_hash() {
	local dir="$ROOT/tools/$1" ldflags="${2:-}"
	{
		(cd "$dir" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum)
		[[ -z "$ldflags" ]] || printf 'ldflags %s\n' "$ldflags"
	} | sha256sum | cut -d' ' -f1
}

# kube_ldflags prints the -X flags that stamp the kube binaries with the release of
# k8s.io/kubernetes that tools/kube requires, for component-base's and client-go's
# version packages, the way Kubernetes' own release build (hack/lib/version.sh) does.
kube_ldflags() {
	local version major minor flags="" pkg
	version="$(cd "$ROOT/tools/kube" && "$GO" list -m -f '{{.Version}}' k8s.io/kubernetes)"
	if [[ ! "$version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
		log "kube: k8s.io/kubernetes version $version in tools/kube/go.mod is not a release vX.Y.Z"
		return 1
	fi
	major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	done
	printf '%s' "${flags# }"
}

# istio_ldflags prints the -X flags that stamp istio-webhook and pilot-discovery with
# the istio.io/istio that tools/istio requires, as Istio's own build does
# (common/scripts/report_build_info.sh): a release vX.Y.Z is version X.Y.Z, a commit
# (pseudo-version) is the VERSION file of that commit plus "-dev", as Istio's
# Makefile names an unreleased build; the revision is the commit's. Without them
# istiod reports version "unknown".
istio_ldflags() {
	local mod dir version revision pkg=istio.io/istio/pkg/version
	mod="$(cd "$ROOT/tools/istio" && "$GO" list -m -f '{{.Version}}' istio.io/istio)"
	# go list leaves .Dir empty until the module is in the cache (a cold machine).
	(cd "$ROOT/tools/istio" && "$GO" mod download istio.io/istio) || return 1
	dir="$(cd "$ROOT/tools/istio" && "$GO" list -m -f '{{.Dir}}' istio.io/istio)"
	if [[ "$mod" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
		version="${BASH_REMATCH[1]}" revision="$mod"
	elif [[ "$mod" =~ -([0-9a-f]{12})$ && -s "$dir/VERSION" ]]; then
		version="$(tr -d '[:space:]' <"$dir/VERSION")-dev" revision="${BASH_REMATCH[1]}"
	else
		log "istio: cannot tell the version of istio.io/istio $mod in tools/istio/go.mod"
		return 1
	fi
	printf -- '-X %s.buildVersion=%s -X %s.buildGitRevision=%s -X %s.buildStatus=Clean -X %s.buildTag=%s -X %s.buildOS=%s -X %s.buildArch=%s' \
		"$pkg" "$version" "$pkg" "$revision" "$pkg" "$pkg" "$mod" \
		"$pkg" "$("$GO" env GOOS)" "$pkg" "$("$GO" env GOARCH)"
}

# build MODULE OUTPUT PACKAGE [OUTPUT PACKAGE...] builds each package of tools/MODULE
# into BIN_DIR/OUTPUT unless every output exists and the module's inputs are unchanged.
# TOOL_LDFLAGS, when set for the call, is passed to the linker.
build() {
	local module="$1"; shift
	local want have="" stale="" ldflags="${TOOL_LDFLAGS:-}"
	want="$(inputs_hash "$module" "$ldflags")"
	[[ -f "$STAMPS/$module" ]] && have="$(cat "$STAMPS/$module")"
	local args=("$@")
	for ((i = 0; i < ${#args[@]}; i += 2)); do
		[[ -x "$BIN_DIR/${args[i]}" ]] || stale=1
	done
	if [[ -z "$stale" && "$want" == "$have" ]]; then
		log "$module: up to date"
		return
	fi
	for ((i = 0; i < ${#args[@]}; i += 2)); do
		local out="${args[i]}" pkg="${args[i + 1]}" start=$SECONDS
		log "$module: building $out ($pkg)"
		(cd "$ROOT/tools/$module" && "$GO" build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/$out.tmp" "$pkg")
		mv -f "$BIN_DIR/$out.tmp" "$BIN_DIR/$out"
		log "$module: built $out in $((SECONDS - start))s"
	done
	echo "$want" >"$STAMPS/$module"
}

# kwok_stages writes BIN_DIR/kwok-stages.yaml, the Stage objects kwok needs to make nodes
# and pods Ready: the fast node, node heartbeat and fast pod stages shipped in the kwok
# module, as one multi-document YAML. Rewritten whenever kwok was rebuilt.
kwok_stages() {
	local out="$BIN_DIR/kwok-stages.yaml" dir file
	[[ -s "$out" && "$out" -nt "$STAMPS/kwok" ]] && return
	dir="$(cd "$ROOT/tools/kwok" && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
	for file in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
		pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
		printf -- '---\n'
		cat "$dir/kustomize/stage/$file"
	done >"$out.tmp"
	mv -f "$out.tmp" "$out"
	log "kwok: wrote $out"
}

# install_prometheus makes prometheus and promtool available: /usr/bin from Debian's
# package, or BIN_DIR built from tools/prometheus when apt-get is not usable.
install_prometheus() {
	if [[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]]; then
		log "prometheus: /usr/bin/prometheus present"
		return
	fi
	if command -v apt-get >/dev/null && install_prometheus_apt; then
		return
	fi
	log "prometheus: apt-get unavailable or failed, building from source"
	build prometheus \
		prometheus github.com/prometheus/prometheus/cmd/prometheus \
		promtool github.com/prometheus/prometheus/cmd/promtool
}

# install_prometheus_apt installs Debian's prometheus package without starting its
# service: a policy-rc.d that forbids service starts is put in place when none exists.
install_prometheus_apt() {
	local sudo=() policy=/usr/sbin/policy-rc.d created=""
	if [[ "$(id -u)" != 0 ]]; then
		command -v sudo >/dev/null || return 1
		sudo=(sudo)
	fi
	if [[ ! -e "$policy" ]]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
		"${sudo[@]}" chmod +x "$policy"
		created=1
	fi
	log "prometheus: apt-get install prometheus (no service is started)"
	local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q) rc=0
	{ "${apt[@]}" install -y --no-install-recommends prometheus >/dev/null ||
		{ "${apt[@]}" update >/dev/null &&
			"${apt[@]}" install -y --no-install-recommends prometheus >/dev/null; }; } || rc=$?
	[[ -n "$created" ]] && "${sudo[@]}" rm -f "$policy"
	return "$rc"
}

[[ "${SKIP_PROMETHEUS:-}" == 1 ]] || install_prometheus
build etcd etcd go.etcd.io/etcd/server/v3
kube_flags="$(kube_ldflags)"
TOOL_LDFLAGS="$kube_flags" build kube \
	kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
	kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager \
	kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build kwok kwok sigs.k8s.io/kwok/cmd/kwok
kwok_stages
build helm helm helm.sh/helm/v3/cmd/helm
istio_flags="$(istio_ldflags)"
TOOL_LDFLAGS="$istio_flags" build istio \
	istio-webhook . \
	pilot-discovery istio.io/istio/pilot/cmd/pilot-discovery
[[ "${WITH_FLAGGER:-}" != 1 ]] || build flagger flagger github.com/fluxcd/flagger/cmd/flagger
log "all tools in $BIN_DIR"
