#!/usr/bin/env bash
# The generated Python client reaches every route (issue 15): generates it from
# openapi/openapi.json with openapi-python-client (any generator warning fails the run),
# type-checks the generated package and scripts/client_smoke.py with `mypy --strict`, then runs
# client_smoke.py against a freshly started demo (scripts/demo_service.py): a token, batches as
# CSV, NDJSON and JSON, the sourcing mix as CSV and a trace. docs/API.md, "Generated clients".
#
#   scripts/client-smoke.sh     # uses target/debug/oretrace (or $CARGO_TARGET_DIR, $ORETRACE_BIN)
#
# Needs python3 (venv) and PyPI for the first run; the tools go into .venv, pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

OPENAPI_PYTHON_CLIENT=0.29.1
MYPY=2.4.1
HTTPX=0.28.1
ATTRS=26.1.0

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check \
  "openapi-python-client==$OPENAPI_PYTHON_CLIENT" "mypy==$MYPY" "httpx==$HTTPX" "attrs==$ATTRS"

work=$(mktemp -d -t client-smoke-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Run from the work directory: the generator's output must not depend on a pyproject of ours.
(cd "$work" && "$OLDPWD/.venv/bin/openapi-python-client" generate --meta none \
  --path "$OLDPWD/openapi/openapi.json" --config "$OLDPWD/openapi/python-client.yaml" \
  --output-path oretrace_client) >"$work/generate.log" 2>&1 \
  || { cat "$work/generate.log"; echo "client-smoke: the generator failed"; exit 1; }
if grep -qi 'warning' "$work/generate.log"; then
  cat "$work/generate.log"
  echo "client-smoke: the generator warned: some of the API is missing from the client"
  exit 1
fi
echo "client-smoke: generated with openapi-python-client $OPENAPI_PYTHON_CLIENT ($(( $(date +%s) - started ))s)"

MYPYPATH="$work:scripts" .venv/bin/mypy --strict --cache-dir "$work/.mypy_cache" \
  --no-error-summary "$work/oretrace_client" scripts/client_smoke.py scripts/demo_service.py
echo "client-smoke: mypy $MYPY --strict: the generated client and scripts/client_smoke.py ($(( $(date +%s) - started ))s)"

PYTHONPATH="$work:scripts" .venv/bin/python scripts/client_smoke.py
echo "client-smoke: done in $(( $(date +%s) - started ))s"
