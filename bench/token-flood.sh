#!/usr/bin/env bash
# The token endpoint under a flood of unknown client ids: peak memory of the service and the
# latency other callers see meanwhile, with the secret checks bounded (the defaults) and, as the
# reference in the same run, practically unbounded (ORETRACE_SECRET_CHECKS_IN_FLIGHT=512, as every
# check ran at once before issue 17). Since unknown client ids have a lane of their own (one
# thread), the reference bounds the flood of made-up ids too and shows the setting for known ids
# only. docs/PERFORMANCE.md records the results.
#
#   bench/token-flood.sh                      # 200 concurrent flooders for 20 s per run
#   FLOOD_CONCURRENCY=400 FLOOD_SECONDS=30 bench/token-flood.sh
#
# Environment: ORETRACE_BIN (default target/release/oretrace, built here), FLOOD_CONCURRENCY
# (200), FLOOD_SECONDS (20). Runs on a throwaway SQLite file; nothing else is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

bin=${ORETRACE_BIN:-target/release/oretrace}
if [ -z "${ORETRACE_BIN:-}" ]; then cargo build --release --quiet; fi
concurrency=${FLOOD_CONCURRENCY:-200}
seconds=${FLOOD_SECONDS:-20}
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

run() { # label, then environment assignments for the service
  local label=$1; shift
  local db="$work/$label.db" port base client
  export DATABASE_URL="sqlite://$db"
  "$bin" migrate >/dev/null
  org=$("$bin" orgs create --name "Flood $label" | json_field id)
  client=$("$bin" clients create --org "$org" --scopes "purchases:read")
  port=$(free_port)
  base="http://127.0.0.1:$port"
  env "$@" ORETRACE_BIND="127.0.0.1:$port" ORETRACE_RATE_LIMIT_PER_SECOND=0 \
    ORETRACE_TOKEN_RATE_LIMIT_PER_SOURCE_PER_MINUTE=0 \
    ORETRACE_TOKEN_RATE_LIMIT_UNKNOWN_CLIENTS_PER_MINUTE=0 RUST_LOG=error \
    "$bin" serve >"$work/$label.log" 2>&1 &
  server=$!
  wait_ready "$base" 60 "$server"
  python3 - "$base" "$server" "$label" "$concurrency" "$seconds" "$client" <<'PY'
import json, os, sys, threading, time, urllib.request, urllib.parse, urllib.error, secrets, statistics
base, pid, label, concurrency, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
client = json.loads(sys.argv[6])

def rss_kib(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0

def token():
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client["client_id"],
                                   "client_secret": client["client_secret"]}).encode()
    with urllib.request.urlopen(base + "/v1/auth/token", body) as r:
        return json.load(r)["access_token"]

def me_latency(tok):
    req = urllib.request.Request(base + "/v1/me", headers={"Authorization": "Bearer " + tok})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        r.read()
    return (time.perf_counter() - t) * 1000

tok = token()
idle_rss = rss_kib("VmRSS")
quiet = [me_latency(tok) for _ in range(50)]
stop = time.monotonic() + seconds
counts = {}
lock = threading.Lock()

def flood():
    while time.monotonic() < stop:
        body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "client_id": "otc_" + secrets.token_hex(12),
                                       "client_secret": "ots_guess"}).encode()
        try:
            with urllib.request.urlopen(base + "/v1/auth/token", body, timeout=60) as r:
                code = r.status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception:
            code = "error"
        with lock:
            counts[code] = counts.get(code, 0) + 1

threads = [threading.Thread(target=flood, daemon=True) for _ in range(concurrency)]
for t in threads:
    t.start()
time.sleep(1)
during, token_ok, token_times = [], 0, []
while time.monotonic() < stop:
    during.append(me_latency(tok))
    t = time.perf_counter()
    try:
        token(); token_ok += 1
    except urllib.error.HTTPError:
        pass
    token_times.append((time.perf_counter() - t) * 1000)
    time.sleep(0.2)
for t in threads:
    t.join()
peak = rss_kib("VmHWM")
after = rss_kib("VmRSS")
p50 = lambda xs: statistics.median(xs) if xs else float("nan")
print(json.dumps({
    "run": label, "flooders": concurrency, "seconds": seconds,
    "idle_rss_mb": round(idle_rss / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
    "rss_after_mb": round(after / 1024, 1),
    "me_p50_ms_quiet": round(p50(quiet), 2), "me_p50_ms_flood": round(p50(during), 2),
    "me_max_ms_flood": round(max(during or [0]), 1),
    "real_client_tokens": f"{token_ok}/{len(token_times)}", "real_token_p50_ms": round(p50(token_times), 1),
    "flood_answers": {str(k): v for k, v in sorted(counts.items(), key=str)},
}))
PY
  kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "== bounded (defaults: 2 checks at once, 32 waiting)"
run bounded ORETRACE_SECRET_CHECKS_IN_FLIGHT=2 ORETRACE_SECRET_CHECK_QUEUE=32 | tee "$work/bounded.json"
echo "== reference: unbounded (512 checks at once, as before issue 17)"
run unbounded ORETRACE_SECRET_CHECKS_IN_FLIGHT=512 ORETRACE_SECRET_CHECK_QUEUE=100000 | tee "$work/unbounded.json"
python3 - "$work/bounded.json" "$work/unbounded.json" <<'PY'
import json, sys
b, u = (json.load(open(p)) for p in sys.argv[1:])
print(f"peak RSS: bounded {b['peak_rss_mb']} MB, unbounded {u['peak_rss_mb']} MB "
      f"({b['peak_rss_mb'] / u['peak_rss_mb']:.3f} x)")
print(f"/v1/me p50 under flood: bounded {b['me_p50_ms_flood']} ms, unbounded {u['me_p50_ms_flood']} ms")
PY
