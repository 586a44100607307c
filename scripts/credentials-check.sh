#!/usr/bin/env bash
# UNTP credentials verified by another ecosystem (issue 13, part 5; docs/CREDENTIALS.md): starts
# a fresh demo (scripts/demo_service.py), then scripts/credentials_check.py verifies a DCC, a DFR,
# a DTE and the Bitstring Status Lists with joserfc (EdDSA, keys from /.well-known/jwks.json),
# validates them against the vendored UNTP 0.6.1 schemas with jsonschema, and watches the
# suspension bit set after a suspension through the API.
#
#   scripts/credentials-check.sh   # uses target/debug/oretrace (or $CARGO_TARGET_DIR, $ORETRACE_BIN)
#
# Needs python3 (venv) and PyPI for the first run; the libraries go into .venv, pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

JOSERFC=1.8.0
JSONSCHEMA=4.26.0

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check \
  "joserfc==$JOSERFC" "jsonschema[format-nongpl]==$JSONSCHEMA"

PYTHONPATH=scripts .venv/bin/python scripts/credentials_check.py
echo "credentials-check: done in $(( $(date +%s) - started ))s"
