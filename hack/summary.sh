#!/usr/bin/env bash
# summary.sh: one line per test stage and a total, from the JSON events
# hack/gotest.sh kept. GO is the go command (default go), as in the Makefile.
set -euo pipefail
"${GO:-go}" run ./hack/testreport -summary .e2e/unit.json .e2e/e2e.json .e2e/xds.json
