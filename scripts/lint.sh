#!/usr/bin/env bash
# Lint: installs the project with its lint extra into ./.venv (as test.sh does) and runs ruff over the code and
# tests, then mypy (config in pyproject.toml) over the package.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test,lint]"
.venv/bin/ruff check converters define_xml scripts benchmarks tests
.venv/bin/mypy converters define_xml
