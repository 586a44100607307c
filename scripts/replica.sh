#!/usr/bin/env bash
# A second machine that serves (issue 10, docs/OPERATIONS.md "Read replica"): a throwaway
# PostgreSQL primary and a real hot standby made from it with `pg_basebackup -R` (streaming
# replication, on their own ports; the local cluster is not touched), and two Oretrace instances
# on the primary, the second reading from the standby (ORETRACE_READ_DATABASE_URL). Bounded
# (about 40 s). It checks, and fails when one does not hold:
#
#   1. the same answers from both instances (the sourcing mix, a trace, the lists) once the
#      standby has replayed the writes, and instance B's reads really served by the standby;
#   2. an `Idempotency-Key` used on instance A is replayed by instance B;
#   3. the same batch sent to both instances at once is written exactly once;
#   4. the standby stopped and started under reads: no 5xx (the primary answers meanwhile),
#      the lag shown as unknown in /metrics, and reads back on the standby once it returns.
#
#   scripts/replica.sh       # ORETRACE_BIN=target/release/oretrace scripts/replica.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

bin=$(realpath -m "${ORETRACE_BIN:-target/debug/oretrace}")
if [ -z "${ORETRACE_BIN:-}" ]; then cargo build --quiet; fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$pg_bin/initdb" ] || { echo "replica: no PostgreSQL server binaries (initdb) found" >&2; exit 1; }

status=1
work=$(mktemp -d)
chmod 755 "$work"
pids=()
# initdb refuses root: the clusters belong to `postgres` when run as root (CI).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for cluster in standby primary; do
    [ -d "$work/$cluster" ] && as_pg "$pg_bin/pg_ctl" -D "$work/$cluster" -m immediate stop >/dev/null 2>&1 || true
  done
  if [ "$status" != 0 ]; then
    mkdir -p target
    for f in a.log b.log primary.log standby.log; do [ -f "$work/$f" ] && cp "$work/$f" "target/replica-$f"; done
    echo "replica: FAILED (logs in target/replica-*.log)" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
say() { echo "replica: $(( $(date +%s) - started ))s $*"; }
fail() { echo "replica: FAIL: $*" >&2; exit 1; }

primary_port=$(free_port)
standby_port=$(free_port)
[ "$(id -u)" = 0 ] && chown postgres "$work"
say "primary cluster on $primary_port, standby on $standby_port"
as_pg "$pg_bin/initdb" -D "$work/primary" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
cat >>"$work/primary/postgresql.conf" <<EOF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
wal_level = replica
max_wal_senders = 4
fsync = off
EOF
as_pg "$pg_bin/pg_ctl" -D "$work/primary" -l "$work/primary.log" -w start >/dev/null
psql -q "postgres://postgres@127.0.0.1:$primary_port/postgres" -c "CREATE DATABASE oretrace" >/dev/null
as_pg "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$work/standby" -R -X stream --checkpoint=fast --no-sync
start_standby() {
  as_pg "$pg_bin/pg_ctl" -D "$work/standby" -l "$work/standby.log" -o "-p $standby_port" -w start >/dev/null
}
start_standby
primary="postgres://postgres@127.0.0.1:$primary_port/oretrace"
standby="postgres://postgres@127.0.0.1:$standby_port/oretrace"
[ "$(psql -tAq "$standby" -c 'SELECT pg_is_in_recovery()')" = t ] || fail "the standby is not in recovery"

export DATABASE_URL=$primary
export ORETRACE_SIGNING_KEY_FILE="$work/signing-key.pem"
"$bin" keys generate "$ORETRACE_SIGNING_KEY_FILE" >/dev/null
"$bin" migrate >/dev/null
provision "$bin" >"$work/clients"
read -r _ a_id a_secret _ < <(grep '^purchaser-a ' "$work/clients")
read -r _ s_id s_secret _ < <(grep '^steward ' "$work/clients")

serve() { # NAME PORT [extra env…]
  local name=$1 port=$2; shift 2
  env ORETRACE_BIND="127.0.0.1:$port" ORETRACE_WORKERS=2 ORETRACE_RATE_LIMIT_PER_SECOND=0 \
    ORETRACE_TOKEN_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=${RUST_LOG:-warn} "$@" \
    "$bin" serve >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$port" 60 "$!"
}
a_port=$(free_port)
b_port=$(free_port)
serve a "$a_port"
serve b "$b_port" ORETRACE_READ_DATABASE_URL="$standby" ORETRACE_READ_MAX_LAG_MS=5000
A="http://127.0.0.1:$a_port"
B="http://127.0.0.1:$b_port"
token_a=$(token "$A" "$a_id" "$a_secret")
steward=$(token "$A" "$s_id" "$s_secret")
say "instances A ($A) and B ($B, reading from the standby) ready"

metric() { curl -s "$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
get() { curl -s -o "$work/body" -w '%{http_code}' "$1$2" -H "Authorization: Bearer $token_a"; }

supplier=$(curl -sf "$A/v1/parties" -H "Authorization: Bearer $steward" -H 'Content-Type: application/json' \
  -d '{"name": "Replica Supplier AG", "roles": ["supplier"], "country": "CH"}' | json_field id)

# 2. An Idempotency-Key used on A is replayed by B.
body="{\"external_ref\": \"IDEM-1\", \"supplier_party_id\": \"$supplier\", \"mineral\": \"gold\", \"quantity\": {\"value\": 2, \"unit\": \"kg\"}, \"purchased_on\": \"2026-03-01\"}"
post() { curl -s -D "$work/headers" -o "$work/body" -w '%{http_code}' "$1/v1/purchases" \
  -H "Authorization: Bearer $token_a" -H 'Content-Type: application/json' -H 'Idempotency-Key: replica-check-1' -d "$body"; }
first=$(post "$A")
[ "$first" = 201 ] || fail "the purchase on A answered $first: $(cat "$work/body")"
second=$(post "$B")
[ "$second" = 201 ] || fail "the replay on B answered $second"
grep -qi '^idempotent-replayed: true' "$work/headers" || fail "B did not replay A's answer"
say "an Idempotency-Key used on A is replayed by B"

# 3. The same batch sent to both at once is written once.
csv="external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on"$'\n'
for n in $(seq 1 200); do csv+="BATCH-$n,$supplier,gold,1.5,kg,2026-04-0$(( n % 9 + 1 ))"$'\n'; done
printf '%s' "$csv" >"$work/batch.csv"
batch() { curl -s -o "$work/batch-$2.json" -w '%{http_code}' "$1/v1/purchases/batch" \
  -H "Authorization: Bearer $token_a" -H 'Content-Type: text/csv' --data-binary "@$work/batch.csv"; }
batch "$A" a >"$work/code-a" &
first_batch=$!
batch "$B" b >"$work/code-b" &
second_batch=$!
wait "$first_batch" "$second_batch" || true
for side in a b; do
  code=$(cat "$work/code-$side")
  case "$code" in 200|201) ;; *) fail "the batch on ${side^^} answered $code: $(cat "$work/batch-$side.json")" ;; esac
done
stored=$(psql -tAq "$primary" -c "SELECT count(*) FROM purchases WHERE external_ref LIKE 'BATCH-%'")
[ "$stored" = 200 ] || fail "the batch sent twice at once stored $stored lines, not 200"
say "the same batch sent to both at once: 200 lines, each once"

# 1. The same answers from both, B's from the standby.
until [ "$(metric "$B" oretrace_read_replica_usable)" = 1 ]; do sleep 0.2; done
replayed=$(psql -tAq "$primary" -c "SELECT pg_current_wal_lsn()")
until [ "$(psql -tAq "$standby" -c "SELECT pg_last_wal_replay_lsn() >= '$replayed'")" = t ]; do sleep 0.1; done
served_before=$(metric "$B" oretrace_read_replica_reads_total)
for path in "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31" "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=month" \
            "/v1/purchases?limit=50" "/v1/parties/$supplier/provenance" "/v1/red-flags"; do
  [ "$(get "$A" "$path")" = 200 ] || fail "A $path: $(cat "$work/body")"
  cp "$work/body" "$work/from-a"
  [ "$(get "$B" "$path")" = 200 ] || fail "B $path: $(cat "$work/body")"
  cmp -s "$work/from-a" "$work/body" || fail "A and B answer $path differently"
done
served_after=$(metric "$B" oretrace_read_replica_reads_total)
[ "$(( served_after - served_before ))" = 5 ] || fail "B served $(( served_after - served_before )) of 5 reads from the standby"
say "the same answers from A and from B, B's five from the standby (lag $(metric "$B" oretrace_read_replica_lag_ms) ms)"

# 4. The standby stopped and started under reads: no 5xx.
codes="$work/codes"
: >"$codes"
(
  while [ ! -f "$work/stop-reads" ]; do
    get "$B" "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31" >>"$codes"; echo >>"$codes"
    sleep 0.05
  done
) &
reader=$!
sleep 1
as_pg "$pg_bin/pg_ctl" -D "$work/standby" -m fast -w stop >/dev/null
say "standby stopped"
for _ in $(seq 1 50); do [ "$(metric "$B" oretrace_read_replica_lag_ms)" = -1 ] && break; sleep 0.1; done
[ "$(metric "$B" oretrace_read_replica_lag_ms)" = -1 ] || fail "the lag is not shown as unknown with the standby down"
sleep 2
fallbacks=$(metric "$B" oretrace_read_replica_fallbacks_total)
start_standby
say "standby started again"
until [ "$(metric "$B" oretrace_read_replica_usable)" = 1 ]; do sleep 0.2; done
sleep 1
touch "$work/stop-reads"
wait "$reader"
total=$(grep -c . "$codes")
bad=$(grep -vc '^200$' "$codes" || true)
[ "$bad" = 0 ] || fail "$bad of $total reads during the standby's stop were not 200: $(sort "$codes" | uniq -c | tr '\n' ' ')"
[ "${fallbacks:-0}" -ge 1 ] || fail "no read went to the primary while the standby was down"
before=$(metric "$B" oretrace_read_replica_reads_total)
get "$B" "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31" >/dev/null
[ "$(metric "$B" oretrace_read_replica_reads_total)" -gt "$before" ] || fail "reads did not return to the standby"
say "standby stopped and started under $total reads: all 200 ($fallbacks answered by the primary), reads back on the standby"

status=0
say "PASS"
