#!/usr/bin/env bash
# Two builds of Oretrace on one loaded database, requests alternated: the before and after of a
# change, under the same noise. Starts BEFORE and AFTER (two release binaries) on DATABASE_URL,
# each on its own port with its own token, then for each PATH sends ROUNDS requests to each, in
# turn (which goes first alternates), and prints both medians, their ratio, and whether the two
# answers were byte for byte the same (SHA-256 of the last body of each).
#
#   BENCH_KEEP=1 BENCH_BACKEND=postgres cargo bench --bench sourcing_mix   # keeps the database
#   cp target/release/oretrace /tmp/oretrace-before   # build and copy each side
#   DATABASE_URL=<the kept database> bench/compare.sh /tmp/oretrace-before /tmp/oretrace-after \
#     '/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=month'
#
# The organisation is the first purchaser in `oretrace orgs list` (the bench's buyer), or ORG.
# ROUNDS (default 41) requests per build and path; the first three of each are not counted.
# Timing starts once both services are idle after their start-up sweep (at most SETTLE, default
# 120, seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh
: "${DATABASE_URL:?set DATABASE_URL to a loaded database (see the header)}"
export DATABASE_URL
[ $# -ge 3 ] || { echo "usage: $0 BEFORE AFTER PATH..." >&2; exit 2; }
before=$1 after=$2
shift 2
rounds=${ROUNDS:-41}
work=$(mktemp -d)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

"$before" keys generate "$work/key.pem" >/dev/null 2>&1
org=${ORG:-$("$before" orgs list | python3 -c 'import json,sys; print(next(o["id"] for o in json.load(sys.stdin) if o["kind"] == "purchaser"))')}
# start NAME BIN: the service on a free port; writes NAME.base and NAME.token in $work.
start() {
  local name=$1 bin=$2 port client base
  port=$(free_port)
  base="http://127.0.0.1:$port"
  client=$("$bin" clients create --org "$org" --name "compare $name" --scopes "purchases:read")
  ORETRACE_BIND="127.0.0.1:$port" ORETRACE_RATE_LIMIT_PER_SECOND=0 RUST_LOG=warn \
    ORETRACE_SIGNING_KEY_FILE="$work/key.pem" "$bin" serve >"$work/$name.log" 2>&1 &
  servers+=($!)
  wait_ready "$base" 60 "$!"
  printf '%s' "$base" >"$work/$name.base"
  token "$base" "$(json_field client_id <<<"$client")" "$(json_field client_secret <<<"$client")" \
    >"$work/$name.token"
}
start before "$before"
start after "$after"
# Each service sweeps every organisation's red flags and certificates once at start
# (`app::webhooks::sweep`): on a million lines that is seconds of CPU. Wait until both are idle
# (their CPU time still for a second, at most SETTLE seconds) so that no request is timed
# beside it.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
settle=${SETTLE:-120}
previous=""
for _ in $(seq "$settle"); do
  now=""
  for pid in "${servers[@]}"; do now="$now $(cpu_ticks "$pid")"; done
  [ "$now" = "$previous" ] && break
  previous=$now
  sleep 1
done

python3 - "$work" "$rounds" "$@" <<'PY'
import hashlib, http.client, statistics, sys, time, urllib.parse
work, rounds, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
sides = {}
for name in ("before", "after"):
    base = urllib.parse.urlparse(open(f"{work}/{name}.base").read())
    token = open(f"{work}/{name}.token").read().strip()
    sides[name] = (http.client.HTTPConnection(base.hostname, base.port), token)
def get(name, path):
    conn, token = sides[name]
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        sys.exit(f"{name} {path}: {response.status} {body[:300]!r}")
    return elapsed, hashlib.sha256(body).hexdigest()
print("| path | before, p50 | after, p50 | after / before | same answer |")
print("|---|---|---|---|---|")
for path in paths:
    times, digests = {"before": [], "after": []}, {}
    for i in range(rounds + 3):
        for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
            elapsed, digests[name] = get(name, path)
            if i >= 3:
                times[name].append(elapsed)
    b, a = statistics.median(times["before"]), statistics.median(times["after"])
    same = "yes" if digests["before"] == digests["after"] else "**no**"
    print(f"| `{path}` | {b:.1f} ms | {a:.1f} ms | {a / b:.2f} | {same} |")
PY
