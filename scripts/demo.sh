#!/usr/bin/env bash
# The main job on the shipped example studies: creates ./.venv if needed, installs the project, runs `cdisc-convert demo`
# (SDTM, ADaM, defines and validation of both studies), then `cdisc-convert run` for each study's submission package.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ""
out="${1:-out/demo}"
.venv/bin/cdisc-convert demo --out "$out"
for study in carnk-sclc cll1-aml; do
  .venv/bin/cdisc-convert run "mappings/$study" --out "$out/$study/package" --quiet
  echo "$study: submission package in $out/$study/package (manifest.json lists every file)"
done
