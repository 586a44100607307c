#!/usr/bin/env bash
# A bounded soak: SOAK_SECONDS (default 60) of a mixed read and write workload at
# SOAK_CONNECTIONS (default 64) connections with wrk (scripts/soak/mixed.lua) against the
# release service on its own PostgreSQL database. Pass: zero errors (every answer 200 or 201,
# no socket errors), every acknowledged write stored, and the service's memory recorded
# before and after.
#
#   scripts/soak.sh                         # builds the release binary if needed
#   SOAK_SECONDS=300 scripts/soak.sh        # longer
#   ORETRACE_BIN=target/debug/oretrace scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

seconds=${SOAK_SECONDS:-60}
connections=${SOAK_CONNECTIONS:-64}
if ! command -v wrk >/dev/null; then
  echo "soak: wrk is missing (apt-get install -y wrk)"; exit 1
fi
bin=${ORETRACE_BIN:-target/release/oretrace}
if [ -z "${ORETRACE_BIN:-}" ]; then cargo build --release --quiet; fi

status=1
work=$(mktemp -d)
db="oretrace_soak_$$"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ "$status" != 0 ] && [ -f "$work/server.log" ]; then cp "$work/server.log" target/soak-server.log; fi
  drop_database "$db"
  rm -rf "$work"
}
trap cleanup EXIT
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }

export DATABASE_URL
DATABASE_URL=$(create_database "$db")
export ORETRACE_SIGNING_KEY_FILE="$work/signing-key.pem"
"$bin" keys generate "$ORETRACE_SIGNING_KEY_FILE" >/dev/null
"$bin" migrate >/dev/null
provision "$bin" >"$work/clients"
read -r _ a_id a_secret a_org < <(grep '^purchaser-a ' "$work/clients")
read -r _ s_id s_secret _ < <(grep '^steward ' "$work/clients")

port=$(free_port)
base="http://127.0.0.1:$port"
# Rate limits off: the soak measures the service, not the per-organisation budget (50/s).
ORETRACE_BIND="127.0.0.1:$port" ORETRACE_RATE_LIMIT_PER_SECOND=0 \
  ORETRACE_TOKEN_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=${RUST_LOG:-warn} \
  "$bin" serve >"$work/server.log" 2>&1 &
server=$!
wait_ready "$base" 60 "$server"
a_token=$(token "$base" "$a_id" "$a_secret")
s_token=$(token "$base" "$s_id" "$s_secret")
supplier=$(curl -sf "$base/v1/parties" -H "Authorization: Bearer $s_token" -H 'Content-Type: application/json' \
  -d '{"name": "Soak Supplier AG", "roles": ["supplier"], "country": "CH"}' | json_field id)
for i in $(seq 1 20); do
  curl -sf "$base/v1/facilities" -H "Authorization: Bearer $s_token" -H 'Content-Type: application/json' \
    -d "{\"name\": \"Soak Mine $i\", \"kind\": \"mine\", \"mining_scale\": \"asm\", \"minerals\": [\"gold\"], \"country\": \"PE\"}" >/dev/null
done
{
  echo "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin"
  for i in $(seq 1 2000); do echo "SEED-$i,$supplier,gold,1.5,kg,2026-$(printf %02d $(( i % 12 + 1 )))-10,asm:PE=0.5;recycled=0.5"; done
} >"$work/seed.csv"
curl -sf "$base/v1/purchases/batch" -H "Authorization: Bearer $a_token" -H 'Content-Type: text/csv' \
  --data-binary @"$work/seed.csv" >/dev/null
purchase=$(curl -sf "$base/v1/purchases?limit=1" -H "Authorization: Bearer $a_token" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')

# Warm up for 5 s, then measure.
SOAK_TOKEN=$a_token SOAK_SUPPLIER=$supplier SOAK_PURCHASE=$purchase SOAK_RUN="WARM$$" \
  wrk -t2 -c"$connections" -d5s -s scripts/soak/mixed.lua "$base" >/dev/null
rss_before=$(rss "$server")
SOAK_TOKEN=$a_token SOAK_SUPPLIER=$supplier SOAK_PURCHASE=$purchase SOAK_RUN="SOAK$$" \
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/soak/mixed.lua "$base" | tee "$work/wrk.txt"
rss_after=$(rss "$server")
sleep 5
rss_idle=$(rss "$server")

writes=$(sed -n 's/^SOAK_COUNTS writes=\([0-9]*\).*/\1/p' "$work/wrk.txt")
errors=$(sed -n 's/^SOAK_COUNTS .*errors=\([0-9]*\).*/\1/p' "$work/wrk.txt")
socket_errors=$(grep -c 'Socket errors' "$work/wrk.txt" || true)
stored=$(psql -At "${PG_ADMIN_URL%/*}/$db" -c "SELECT count(*) FROM purchases WHERE organisation_id = '$a_org' AND external_ref LIKE 'SOAK$$-%'")
echo "soak: ${seconds}s at $connections connections: $(grep 'Requests/sec' "$work/wrk.txt" | tr -s ' ')"
echo "soak: writes acknowledged $writes, stored $stored (in flight at the end: $(( stored - writes ))); errors $errors; socket error lines $socket_errors"
echo "soak: RSS before $rss_before, after $rss_after, after 5 s idle $rss_idle"
# wrk does not count the answers of requests still in flight when it stops, which the service
# still completes: at most one per connection may be stored without being counted.
if [ "$errors" = 0 ] && [ "$socket_errors" = 0 ] && [ "$stored" -ge "$writes" ] \
  && [ "$stored" -le $(( writes + connections )) ]; then
  echo "soak: passed"; status=0
else
  echo "soak: FAILED"; status=1
fi
exit "$status"
