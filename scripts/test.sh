#!/usr/bin/env bash
# Run the test suite: creates ./.venv with Python 3.10+ if needed, installs the project with its test extras, runs
# pytest on every core (TEST_WORKERS=0 for one process, e.g. to debug).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test]"
# one worker per core, each test file on one worker (module fixtures build a study once per file)
exec .venv/bin/pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "$@"
