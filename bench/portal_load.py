"""Load on the public site: home, a news page and an event page, served with DEBUG off.

Builds a throwaway SQLite site, seeds the demo public site, starts ``manage.py serve`` on
loopback in a subprocess and drives it for a fixed time at a fixed number of keep-alive
connections (wrk when /usr/bin/wrk exists, otherwise a Python load generator: one thread
per connection, each reusing one http.client connection). Prints requests/s, p50/p95/p99
latency and the error count. Target: p95 < 100 ms with zero errors.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import ROOT, django_on_fresh_database  # noqa: E402

TARGET_P95_MS = 100.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed() -> list[str]:
    """Seed the demo public site; return the paths to load (home, a news page, an event)."""
    from ristra.portal.demo import seed_portal
    from ristra.portal.models import EventPage, NewsPage

    seed_portal()
    news = NewsPage.objects.live().order_by("-date").first()
    event = EventPage.objects.live().order_by("start").first()
    assert news is not None and event is not None
    home = "/"
    paths = [home, str(news.url), str(event.url)]
    from django.db import connections

    connections.close_all()
    return paths


def start_server(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        RISTRA_DEBUG="False",
        RISTRA_VAR_DIR=str(workdir),
        RISTRA_ALLOWED_HOSTS="127.0.0.1,localhost",
        RISTRA_SITE_URL=f"http://127.0.0.1:{port}",
    )
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(port: int, paths: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            for path in paths:  # also warms templates and caches of the first render
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SystemExit(f"{path} answered {response.status} before the run")
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0


def python_load(port: int, paths: list[str], seconds: float, connections: int) -> Stats:
    stats = Stats()
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        mine: list[float] = []
        errors = 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = index
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Connection": "keep-alive"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            mine.append(time.perf_counter() - start)
            if not ok:
                errors += 1
        conn.close()
        with stats.lock:
            stats.latencies.extend(mine)
            stats.errors += errors

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


def wrk_load(port: int, paths: list[str], seconds: float, connections: int, workdir: Path) -> None:
    script = workdir / "paths.lua"
    quoted = ", ".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{{quoted}}}\nlocal i = 0\n"
        "request = function() i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1]) end\n",
        encoding="utf-8",
    )
    subprocess.run(
        [
            "wrk",
            f"-c{connections}",
            f"-t{min(connections, os.cpu_count() or 2)}",
            f"-d{int(seconds)}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--python", action="store_true", help="use the Python generator")
    args = parser.parse_args()

    workdir = django_on_fresh_database()
    started = time.perf_counter()
    paths = seed()
    print(f"seeded the demo public site in {time.perf_counter() - started:.1f} s: {paths}")
    port = free_port()
    server = start_server(port, workdir)
    try:
        wait_ready(port, paths)
        load = os.getloadavg()[0]
        print(
            f"load: {args.connections} connections for {args.seconds:.0f} s on "
            f"{len(paths)} pages (DEBUG off, manage.py serve); load average {load:.1f}"
        )
        if shutil.which("wrk") and not args.python:
            wrk_load(port, paths, args.seconds, args.connections, workdir)
            return
        began = time.perf_counter()
        stats = python_load(port, paths, args.seconds, args.connections)
        elapsed = time.perf_counter() - began
        ms = sorted(x * 1000 for x in stats.latencies)
        if len(ms) < 2:
            raise SystemExit("no requests completed")
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        p50, p95, p99 = cuts[49], cuts[94], cuts[98]
        print(f"generator: Python threads with keep-alive http.client ({elapsed:.1f} s)")
        print(f"requests: {len(ms):,} = {len(ms) / elapsed:,.1f} requests/s")
        print(f"latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
        print(f"errors: {stats.errors}")
        met = p95 < TARGET_P95_MS and stats.errors == 0
        print(
            f"target p95 < {TARGET_P95_MS:.0f} ms with zero errors: {'met' if met else 'NOT met'}"
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
