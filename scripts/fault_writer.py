#!/usr/bin/env python3
"""Write load for scripts/faults.sh, with the Python standard library only.

    fault_writer.py write BASE TOKEN SUPPLIER RUN_ID STOP_FILE OUT_DIR [THREADS]
        Posts purchases with unique external_refs from THREADS threads until STOP_FILE exists,
        and polls /health/ready every 50 ms. Writes OUT_DIR/acked (one external_ref per 2xx),
        OUT_DIR/statuses.json (counts per status, problems seen) and OUT_DIR/ready.log
        (`unix_time status` per poll).

    fault_writer.py inflight BASE TOKEN SUPPLIER RUN_ID OUT_FILE ROWS THREADS PID
        Starts THREADS batch posts of ROWS lines each, sends SIGTERM to PID while they are in
        flight, and writes each one's status to OUT_FILE as JSON.

    fault_writer.py report OUT_DIR EVENTS_FILE COUNTS_FILE
        Checks the run: no 5xx other than 503, every 503 with Retry-After, ready again within
        2 s of each return of the database, every acknowledged purchase stored exactly once.
        Prints a summary; exits 1 on any failure.
"""

import http.client
import json
import os
import signal
import sys
import threading
import time
from urllib.parse import urlparse


def connect(base):
    url = urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def request(conn, method, path, token=None, body=None, content_type="application/json"):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, dict(response.getheaders()), data


def purchase(ref, supplier, day=15):
    return json.dumps(
        {
            "external_ref": ref,
            "supplier_party_id": supplier,
            "mineral": "gold",
            "quantity": {"value": 1.5, "unit": "kg"},
            "purchased_on": f"2026-03-{day:02d}",
        }
    )


def write(base, token, supplier, run_id, stop_file, out_dir, threads=6):
    lock = threading.Lock()
    acked = []
    statuses = {}
    problems = []

    def writer(worker):
        conn = connect(base)
        n = 0
        while not os.path.exists(stop_file):
            ref = f"{run_id}-{worker}-{n}"
            n += 1
            try:
                status, headers, data = request(
                    conn, "POST", "/v1/purchases", token, purchase(ref, supplier, n % 28 + 1)
                )
            except (OSError, http.client.HTTPException) as error:
                # The answer never came: the line may or may not be stored, and it was not
                # acknowledged. Count it and reconnect.
                with lock:
                    statuses["no answer"] = statuses.get("no answer", 0) + 1
                conn.close()
                conn = connect(base)
                time.sleep(0.05)
                continue
            with lock:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if 200 <= status < 300:
                    acked.append(ref)
                elif status == 503:
                    retry = {k.lower(): v for k, v in headers.items()}.get("retry-after")
                    if not retry:
                        problems.append(f"503 without Retry-After for {ref}")
                    time.sleep(0.05)
                elif status >= 500:
                    problems.append(f"{status} for {ref}: {data[:300]!r}")
                else:
                    problems.append(f"unexpected {status} for {ref}: {data[:300]!r}")

    def poll_ready():
        lines = []
        while not os.path.exists(stop_file):
            try:
                conn = connect(base)
                status, _, _ = request(conn, "GET", "/health/ready")
                conn.close()
            except (OSError, http.client.HTTPException):
                status = 0
            lines.append(f"{time.time():.3f} {status}")
            time.sleep(0.05)
        with open(os.path.join(out_dir, "ready.log"), "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    workers.append(threading.Thread(target=poll_ready))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with open(os.path.join(out_dir, "acked"), "w", encoding="utf-8") as out:
        out.write("\n".join(acked) + ("\n" if acked else ""))
    with open(os.path.join(out_dir, "statuses.json"), "w", encoding="utf-8") as out:
        json.dump({"statuses": statuses, "problems": problems}, out, indent=2)


def inflight(base, token, supplier, run_id, out_file, rows, threads, pid):
    results = [None] * threads

    def post(i):
        lines = ["external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on"]
        lines += [f"{run_id}-T{i}-{n},{supplier},gold,1.5,kg,2026-04-15" for n in range(rows)]
        conn = connect(base)
        conn.timeout = 60
        started = time.time()
        try:
            status, _, data = request(
                conn, "POST", "/v1/purchases/batch", token, "\n".join(lines) + "\n", "text/csv"
            )
            results[i] = {"status": status, "seconds": round(time.time() - started, 2),
                          "body": json.loads(data) if status == 200 else data[:300].decode(errors="replace")}
        except (OSError, http.client.HTTPException) as error:
            results[i] = {"status": 0, "error": str(error)}

    workers = [threading.Thread(target=post, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(0.4)
    os.kill(pid, signal.SIGTERM)
    sent = time.time()
    for worker in workers:
        worker.join()
    with open(out_file, "w", encoding="utf-8") as out:
        json.dump({"sigterm_after_s": 0.4, "results": results,
                   "all_finished_s_after_sigterm": round(time.time() - sent, 2)}, out, indent=2)


def report(out_dir, events_file, counts_file):
    failures = []
    with open(os.path.join(out_dir, "statuses.json"), encoding="utf-8") as f:
        run = json.load(f)
    with open(os.path.join(out_dir, "acked"), encoding="utf-8") as f:
        acked = [line.strip() for line in f if line.strip()]
    counts = {}
    with open(counts_file, encoding="utf-8") as f:
        for line in f:
            if "|" in line:
                ref, count = line.strip().split("|")
                counts[ref] = int(count)
    events = []
    with open(events_file, encoding="utf-8") as f:
        for line in f:
            stamp, name = line.split(maxsplit=1)
            events.append((float(stamp), name.strip()))
    ready = []
    with open(os.path.join(out_dir, "ready.log"), encoding="utf-8") as f:
        for line in f:
            stamp, status = line.split()
            ready.append((float(stamp), int(status)))

    failures += run["problems"]
    missing = [ref for ref in acked if counts.get(ref, 0) == 0]
    doubled = [ref for ref, n in counts.items() if n > 1]
    if missing:
        failures.append(f"{len(missing)} acknowledged purchases are missing, such as {missing[:5]}")
    if doubled:
        failures.append(f"{len(doubled)} purchases are stored more than once, such as {doubled[:5]}")
    recoveries = []
    for stamp, name in events:
        if not name.startswith("database back"):
            continue
        healthy = next((t for t, status in ready if t >= stamp and status == 200), None)
        delay = None if healthy is None else round(healthy - stamp, 2)
        recoveries.append((name, delay))
        if delay is None or delay > 2.0:
            failures.append(f"not ready within 2 s of '{name}' (after {delay} s)")
    not_ready = sum(1 for _, status in ready if status != 200)

    print("faults: summary")
    print(f"  requests by status: {json.dumps(run['statuses'], sort_keys=True)}")
    print(f"  acknowledged: {len(acked)}; stored: {sum(counts.values())} rows for "
          f"{len(counts)} refs; missing: {len(missing)}; duplicated: {len(doubled)}")
    print(f"  readiness polls: {len(ready)}, not ready: {not_ready}")
    for name, delay in recoveries:
        print(f"  {name}: ready again after {delay} s")
    for name in ("in-flight",):
        pass
    if failures:
        print("faults: FAILED")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("faults: passed")
    return 0


def main(argv):
    command = argv[1]
    if command == "write":
        threads = int(argv[8]) if len(argv) > 8 else 6
        write(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], threads)
        return 0
    if command == "inflight":
        inflight(argv[2], argv[3], argv[4], argv[5], argv[6], int(argv[7]), int(argv[8]), int(argv[9]))
        return 0
    if command == "report":
        return report(argv[2], argv[3], argv[4])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
