#!/usr/bin/env bash
# Run the test suite: creates ./.venv with Python 3.10+ if needed, installs the project with its test extras, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test]"
exec .venv/bin/pytest "$@"
