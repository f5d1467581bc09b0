#!/usr/bin/env bash
# The main job on the shipped example studies: creates ./.venv if needed, installs the project, runs `cdisc-convert demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ""
exec .venv/bin/cdisc-convert demo --out "${1:-out/demo}"
