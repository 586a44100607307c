#!/usr/bin/env bash
# Faults, with nothing lost: the real service on its own PostgreSQL database, a writer posting
# purchases with unique external_refs (recording every 2xx), while PostgreSQL is restarted,
# then stopped for 4 s and started, and the pool's connections are killed with
# pg_terminate_backend. Then SIGTERM with batch imports in flight. Bounded (about 60 s).
#
# Pass: no 5xx but 503 (always with Retry-After), /health/ready 200 within 2 s of each return
# of the database, every acknowledged purchase stored exactly once, and every request in flight
# at SIGTERM finished with its answer before the process exited 0.
#
# It restarts the local PostgreSQL cluster: other test runs against it fail meanwhile.
#
#   scripts/faults.sh       # ORETRACE_BIN=target/release/oretrace scripts/faults.sh for release
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

bin=${ORETRACE_BIN:-target/debug/oretrace}
if [ -z "${ORETRACE_BIN:-}" ]; then cargo build --quiet; fi
cluster() { pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main "$@"; }
pg_up() { for _ in $(seq 1 300); do pg_isready -h 127.0.0.1 -p 5432 -q && return 0; sleep 0.1; done; return 1; }

status=1
work=$(mktemp -d)
db="oretrace_faults_$$"
server=""
writer=""
cleanup() {
  pg_isready -h 127.0.0.1 -p 5432 -q || { cluster start || true; pg_up || true; }
  [ -n "$writer" ] && { touch "$work/stop"; wait "$writer" 2>/dev/null || true; }
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" || true; fi
  if [ "$status" != 0 ] && [ -f "$work/server.log" ]; then cp "$work/server.log" target/faults-server.log; fi
  drop_database "$db"
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
event() { printf '%s %s\n' "$(date +%s.%N)" "$*" >>"$work/events"; echo "faults: $(( $(date +%s) - started ))s $*"; }

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
ORETRACE_BIND="127.0.0.1:$port" ORETRACE_WORKERS=2 ORETRACE_RATE_LIMIT_PER_SECOND=0 \
  ORETRACE_TOKEN_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=${RUST_LOG:-warn} \
  "$bin" serve >"$work/server.log" 2>&1 &
server=$!
wait_ready "$base" 60 "$server"
a_token=$(token "$base" "$a_id" "$a_secret")
s_token=$(token "$base" "$s_id" "$s_secret")
supplier=$(curl -sf "$base/v1/parties" -H "Authorization: Bearer $s_token" -H 'Content-Type: application/json' \
  -d '{"name": "Fault Supplier AG", "roles": ["supplier"], "country": "CH"}' | json_field id)
run="FAULT$$"

python3 scripts/fault_writer.py write "$base" "$a_token" "$supplier" "$run" "$work/stop" "$work" 6 &
writer=$!
event "writer started"
sleep 4
event "restart PostgreSQL"
cluster restart
pg_up
event "database back (restart)"
sleep 4
event "stop PostgreSQL"
cluster stop
sleep 4
cluster start
pg_up
event "database back (stopped 4 s)"
sleep 4
killed=$(psql -At "$PG_ADMIN_URL" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()")
event "database back (terminated $killed pool connections)"
sleep 4
touch "$work/stop"
wait "$writer"
writer=""
event "writer stopped"

psql -At -F'|' "${PG_ADMIN_URL%/*}/$db" \
  -c "SELECT external_ref, count(*) FROM purchases WHERE organisation_id = '$a_org' AND external_ref LIKE '$run-%' GROUP BY external_ref" \
  >"$work/counts"
verdict=0
python3 scripts/fault_writer.py report "$work" "$work/events" "$work/counts" || verdict=1

# SIGTERM while batch imports are in flight: they finish, then the process exits 0.
event "SIGTERM with 3 batches of 5000 lines in flight"
python3 scripts/fault_writer.py inflight "$base" "$a_token" "$supplier" "$run" "$work/inflight.json" 5000 3 "$server"
exit_code=0
wait "$server" || exit_code=$?
server=""
stored=$(psql -At "${PG_ADMIN_URL%/*}/$db" -c "SELECT count(*) FROM purchases WHERE organisation_id = '$a_org' AND external_ref LIKE '$run-T%'")
python3 - "$work/inflight.json" "$exit_code" "$stored" <<'PY' || verdict=1
import json, sys
run = json.load(open(sys.argv[1]))
statuses = [r["status"] for r in run["results"]]
seconds = [r.get("seconds") for r in run["results"]]
print(f"  SIGTERM: in-flight answers {statuses} after {seconds} s; process exit {sys.argv[2]}; "
      f"lines stored {sys.argv[3]} of {5000 * len(statuses)}")
ok = all(s == 200 for s in statuses) and sys.argv[2] == "0" and int(sys.argv[3]) == 5000 * len(statuses)
print("  SIGTERM: passed" if ok else "  SIGTERM: FAILED")
sys.exit(0 if ok else 1)
PY
echo "faults: $(( $(date +%s) - started ))s in all"
if grep -E 'panicked' "$work/server.log" >/dev/null; then
  echo "faults: the service panicked:"; grep -E 'panicked' "$work/server.log" | head; verdict=1
fi
status=$verdict
exit "$status"
