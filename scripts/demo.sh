#!/usr/bin/env bash
# Convert both shipped example studies: creates ./.venv if needed, installs the project, runs `cdisc-convert demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet .
exec .venv/bin/cdisc-convert demo --out "${1:-out/demo}"
