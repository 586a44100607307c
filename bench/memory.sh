#!/usr/bin/env bash
# Memory of one Oretrace process (issue 10 targets: idle RSS ≤ 50 MB; ≤ 200 MB at 64 connections
# during mixes): starts the release binary on DATABASE_URL, reads its RSS when idle, then runs
# 64 connections asking for the sourcing mix (by supplier and month, the largest answer) for
# BENCH_SECONDS (default 20) while sampling RSS every 100 ms, and prints idle RSS, peak RSS,
# requests per second and the median latency.
#
#   BENCH_KEEP=1 BENCH_PURCHASES=200000 BENCH_BACKEND=postgres cargo bench --bench sourcing_mix
#   DATABASE_URL=<the kept database> bench/memory.sh
#
# The organisation is the first purchaser in `oretrace orgs list` (the bench's buyer), or ORG.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh
: "${DATABASE_URL:?set DATABASE_URL to a loaded database (see the header)}"
export DATABASE_URL
bin=${ORETRACE_BIN:-target/release/oretrace}
[ -x "$bin" ] || cargo build --release --quiet
seconds=${BENCH_SECONDS:-20}
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

org=${ORG:-$("$bin" orgs list | python3 -c 'import json,sys; print(next(o["id"] for o in json.load(sys.stdin) if o["kind"] == "purchaser"))')}
client=$("$bin" clients create --org "$org" --name "memory bench" --scopes "purchases:read")
port=$(free_port)
base="http://127.0.0.1:$port"
ORETRACE_BIND="127.0.0.1:$port" ORETRACE_RATE_LIMIT_PER_SECOND=0 ORETRACE_DB_POOL_SIZE=${ORETRACE_DB_POOL_SIZE:-10} \
  RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
server=$!
wait_ready "$base" 60 "$server"
sleep 2
idle=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
token=$(token "$base" "$(json_field client_id <<<"$client")" "$(json_field client_secret <<<"$client")")
after_token=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")

python3 - "$base" "$token" "$seconds" "$server" <<'PY'
import sys, threading, time, urllib.request, statistics
base, token, seconds, pid = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
url = base + "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=supplier,month"
stop = time.monotonic() + seconds
latencies, errors, peak = [], [0], [0]
lock = threading.Lock()
def rss():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
def sample():
    while time.monotonic() < stop:
        peak[0] = max(peak[0], rss()); time.sleep(0.1)
def load():
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                r.read()
                ok = r.status == 200
        except Exception:
            ok = False
        with lock:
            if ok: latencies.append(time.monotonic() - started)
            else: errors[0] += 1
threads = [threading.Thread(target=load) for _ in range(64)] + [threading.Thread(target=sample)]
for t in threads: t.start()
for t in threads: t.join()
with open(f"/proc/{pid}/status") as f:
    hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
print(f"64 connections, {seconds:.0f} s: {len(latencies)} mixes ({len(latencies)/seconds:.1f}/s), "
      f"{errors[0]} errors, median {statistics.median(latencies)*1000:.0f} ms, "
      f"peak RSS sampled {peak[0]/1024:.0f} MB, high-water mark {hwm/1024:.0f} MB")
PY
echo "idle RSS: $(( idle / 1024 )) MB at start, $(( after_token / 1024 )) MB after one token (a client-secret check)"
