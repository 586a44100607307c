#!/usr/bin/env bash
# Fuzzes the real service from its contract: schemathesis over every operation of
# openapi/openapi.json, with every check, as four identities (two purchaser organisations, a
# catalog steward and an admin), on a fresh PostgreSQL database. Fails on any failure.
#
#   scripts/fuzz-api.sh                      # the CI run (bounded, see FUZZ_MAX_EXAMPLES)
#   FUZZ_MAX_EXAMPLES=200 scripts/fuzz-api.sh  # a longer local run
#
# Environment: PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# ORETRACE_BIN (default: target/debug/oretrace, built here), FUZZ_MAX_EXAMPLES (default 25),
# FUZZ_SEED (default: random; printed), FUZZ_EXTRA_SEEDS (default 0: how many more runs with
# random seeds, each printed, at FUZZ_EXTRA_MAX_EXAMPLES, default 10, against the same service),
# FUZZ_WORKERS (default 1: with two, schemathesis'
# hypothesis parsed sources in two threads at once and met CPython 3.11.7's thread-unsafe AST
# recursion counter, "AST constructor recursion depth mismatch", an error of the tool).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

SCHEMATHESIS_VERSION=4.32.5
if [ ! -x .venv/bin/st ] || ! .venv/bin/pip show schemathesis 2>/dev/null | grep -qx "Version: $SCHEMATHESIS_VERSION"; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

bin=${ORETRACE_BIN:-target/debug/oretrace}
if [ -z "${ORETRACE_BIN:-}" ]; then cargo build --quiet; fi

status=1
work=$(mktemp -d)
db="oretrace_fuzz_$$"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  drop_database "$db"
  if [ "${status:-1}" != 0 ] && [ -f "$work/server.log" ]; then
    cp "$work/server.log" target/fuzz-server.log
    echo "fuzz: the service's log is in target/fuzz-server.log; answers of the token endpoint:"
    grep -o 'path=/v1/auth/token status=[0-9]*' "$work/server.log" | sort | uniq -c || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL
DATABASE_URL=$(create_database "$db")
export ORETRACE_SIGNING_KEY_FILE="$work/signing-key.pem"
"$bin" keys generate "$ORETRACE_SIGNING_KEY_FILE" >/dev/null
"$bin" migrate >/dev/null
provision "$bin" >"$work/clients"

port=$(free_port)
base="http://127.0.0.1:$port"
# Rate limits off: the fuzzer would otherwise spend most of its budget on 429s.
ORETRACE_BIND="127.0.0.1:$port" ORETRACE_WORKERS=2 ORETRACE_RATE_LIMIT_PER_SECOND=0 \
  ORETRACE_TOKEN_RATE_LIMIT_PER_MINUTE=0 ORETRACE_TOKEN_RATE_LIMIT_PER_SOURCE_PER_MINUTE=0 \
  ORETRACE_TOKEN_RATE_LIMIT_UNKNOWN_CLIENTS_PER_MINUTE=0 RUST_LOG=${RUST_LOG:-warn,oretrace::access=info} \
  "$bin" serve >"$work/server.log" 2>&1 &
server=$!
wait_ready "$base" 60 "$server"

# The identities, in the order schemathesis tries them on an operation that refuses one: the
# two purchasers are peers, that must never see each other's objects.
python3 scripts/fuzz/wfc_auth.py "$work/clients" "$base" >"$work/auth.json"
export FUZZ_AUTH_FILE="$work/auth.json"

status=0
# The repository's schemathesis.toml (the API's rules JSON Schema cannot state) and the identities.
cat schemathesis.toml scripts/fuzz/auth.toml >"$work/schemathesis.toml"
fuzz_once() { # seed max-examples report-suffix
  local started run=0
  started=$(date +%s)
  .venv/bin/st --config-file "$work/schemathesis.toml" run openapi/openapi.json \
    --url "$base" \
    --checks all \
    --max-examples "$2" \
    --workers "${FUZZ_WORKERS:-1}" \
    --seed "$1" \
    --report junit --report-dir "${FUZZ_REPORT_DIR:-target/schemathesis}$3" || run=$?
  echo "fuzz: seed $1, $2 examples, $(( $(date +%s) - started ))s, exit $run"
  [ "$run" = 0 ] || status=$run
}
fuzz_once "${FUZZ_SEED:-$RANDOM$RANDOM}" "${FUZZ_MAX_EXAMPLES:-25}" ""
# Random seeds beside the pinned one find drift between the contract and the validation when
# it is introduced; each seed is printed so that a failure can be replayed with FUZZ_SEED.
for i in $(seq 1 "${FUZZ_EXTRA_SEEDS:-0}"); do
  fuzz_once "$RANDOM$RANDOM" "${FUZZ_EXTRA_MAX_EXAMPLES:-10}" "-random-$i"
done
if grep -E '^\[[^]]*\] (ERROR|error)|panicked' "$work/server.log" | grep -v ' 503 ' >/dev/null; then
  echo "fuzz: the service logged errors:"; grep -E 'ERROR|panicked' "$work/server.log" | head -20
  status=1
fi
exit "$status"
