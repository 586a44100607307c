"""Lists what `docker build .` would send as its context, and fails on anything that must not go.

The context is computed by docker-py's `exclude_paths`, the same .dockerignore rules the docker
CLI applies (moby's pattern matcher), over the working tree as it is: run it after building and
after `cargo run`, when target/, oretrace.db and the demo's keys and credentials exist.

    .venv/bin/python scripts/docker-context.py     # CI (.ci/run) installs docker-py
"""

import os
import sys

from docker.utils.build import exclude_paths

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the Dockerfile's build needs.
NEEDED = ["Cargo.toml", "Cargo.lock", "src/main.rs", "src/lib.rs", "migrations/postgres", "migrations/sqlite",
          "console/index.html", "console/app.js", "console/app.css"]
# What must never be in the context.
FORBIDDEN_PREFIXES = ["target/", ".git/", ".venv/", ".schemathesis/", ".hypothesis/"]
FORBIDDEN_SUFFIXES = [".pem", ".db", ".db-wal", ".db-shm", "oretrace-demo-credentials.json"]
FORBIDDEN_NAMES = [".env"]

with open(os.path.join(ROOT, ".dockerignore"), encoding="utf-8") as f:
    patterns = [line.strip() for line in f if line.strip() and not line.startswith("#")]

# Files a developer's checkout holds after `cargo run`: made here when absent, so that the check
# does not depend on what happened to run before it.
made = []
for name in ["oretrace.db", "oretrace-signing-key.pem", "oretrace-demo-credentials.json", ".env"]:
    path = os.path.join(ROOT, name)
    if not os.path.exists(path):
        open(path, "w").close()
        made.append(path)
try:
    context = sorted(exclude_paths(ROOT, patterns, dockerfile="Dockerfile"))
finally:
    for path in made:
        os.remove(path)

files = [p for p in context if os.path.isfile(os.path.join(ROOT, p))]
size = sum(os.path.getsize(os.path.join(ROOT, p)) for p in files)
bad = [
    p
    for p in files
    if any(p.startswith(prefix) for prefix in FORBIDDEN_PREFIXES)
    or any(p.endswith(suffix) for suffix in FORBIDDEN_SUFFIXES)
    or os.path.basename(p) in FORBIDDEN_NAMES
]
missing = [n for n in NEEDED if not any(p == n or p.startswith(n + "/") for p in files)]
top = sorted({p.split("/")[0] for p in files})
print(f"docker context: {len(files)} files, {size / 1024:.0f} KiB, top level: {', '.join(top)}")
if bad:
    print("must not be in the context:\n  " + "\n  ".join(bad))
if missing:
    print("needed by the build but left out:\n  " + "\n  ".join(missing))
sys.exit(1 if bad or missing else 0)
