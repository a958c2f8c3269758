#!/usr/bin/env bash
# gotest.sh STAGE ARGS...: runs `go test -json ARGS`, prints the usual
# human output, and keeps the JSON events in .e2e/STAGE.json for summary.sh.
# MODULE_DIR=dir runs the tests of the Go module in dir (such as test/xds).
# GO is the go command (default go), as in the Makefile.
set -euo pipefail
GO="${GO:-go}"
stage=$1; shift
mkdir -p .e2e
set +e
"$GO" -C "${MODULE_DIR:-.}" test -json "$@" > ".e2e/$stage.json"
rc=$?
set -e
"$GO" run ./hack/testreport ".e2e/$stage.json"
exit $rc
