"""The demo service as the README's first command starts it, for the scripts that check the
README (scripts/readme-check.py) and the generated clients (scripts/client_smoke.py): the
binary on a free port, with a fresh embedded SQLite file in a temporary directory, and the
demo's two clients (purchaser, operator) read from its start-up banner.

    with demo_service.start("readme-check-") as demo:
        demo.base, demo.purchaser, demo.operator, demo.env, demo.work
"""

import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def binary() -> str:
    """The service binary: `ORETRACE_BIN`, else the debug build in the Cargo target directory
    (`CARGO_TARGET_DIR` or `target/`), built when missing."""
    explicit = os.environ.get("ORETRACE_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    path = os.path.join(target, "debug", "oretrace")
    if not os.path.exists(path):
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Demo:
    base: str  # http://127.0.0.1:<port>
    purchaser: tuple[str, str]  # the demo purchaser's client id and secret
    operator: tuple[str, str]  # the demo operator's client id and secret
    env: dict[str, str]  # the environment the service runs with (ORETRACE_BIND…)
    work: str  # its directory: the SQLite file and server.log


@contextmanager
def start(prefix: str, extra_env: dict[str, str] | None = None) -> Iterator[Demo]:
    """Starts the demo (with `extra_env` added to its environment) and stops it (SIGTERM) when
    the block ends. The directory is left for the caller to remove (keep it when something
    failed: it holds server.log)."""
    work = tempfile.mkdtemp(prefix=prefix)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ORETRACE_BIND=f"127.0.0.1:{port}", RUST_LOG="warn")
    env.update(extra_env or {})
    env.pop("DATABASE_URL", None)
    log_path = os.path.join(work, "server.log")
    with open(log_path, "w") as log:
        server = subprocess.Popen([binary()], cwd=work, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if server.poll() is not None:
                raise SystemExit(f"demo: the service exited with {server.returncode} "
                                 f"(log: {log_path})")
            try:
                if urllib.request.urlopen(base + "/health/ready", timeout=1).status == 200:
                    break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit(f"demo: the service did not become ready (log: {log_path})")
        with open(log_path, encoding="utf-8") as log:
            banner = log.read()
        ids = re.findall(r"client_id=(otc_\w+)", banner)
        secrets = re.findall(r"client_secret=(ots_[\w-]+)", banner)
        if len(ids) < 2 or len(secrets) < 2:
            raise SystemExit("demo: the start-up banner does not show the demo's two clients:\n"
                             + banner)
        yield Demo(base=base, purchaser=(ids[0], secrets[0]), operator=(ids[1], secrets[1]),
                   env=env, work=work)
    finally:
        server.terminate()
        server.wait(timeout=30)
