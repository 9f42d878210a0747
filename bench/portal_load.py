"""Load on the public site: home, a news page and an event page, with production settings.

Builds a throwaway SQLite site, seeds the demo public site, and serves it on loopback with
gunicorn (--workers N, DEBUG off, as deploy/ristra-web.service does) twice in one run: with
the public page cache (the figure) and with the cache turned off
(RISTRA_PUBLIC_CACHE_SECONDS=0, the anchor). Each is warmed, then driven for a fixed time
at a fixed number of keep-alive connections (wrk when /usr/bin/wrk exists, otherwise a
Python load generator: one thread per connection, each reusing one http.client
connection). Prints requests/s, p50/p95/p99 latency, errors and the server's CPU time per
request for both, the ratios, and whether the target holds: p95 < 100 ms with zero errors,
with the cache.
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
from dataclasses import dataclass
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


@dataclass
class Result:
    label: str
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int
    load_before: float
    load_after: float
    cpu_ms: float = 0.0  # server CPU time (all gunicorn processes) per request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def start_server(
    port: int, workdir: Path, workers: int, cache_seconds: int
) -> subprocess.Popen[bytes]:
    """gunicorn as in deploy/ristra-web.service, DEBUG off, on this run's SQLite database."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update(
        DJANGO_SETTINGS_MODULE="ristra.settings",
        RISTRA_DEBUG="False",
        RISTRA_VAR_DIR=str(workdir),
        RISTRA_ALLOWED_HOSTS="127.0.0.1,localhost",
        RISTRA_SITE_URL=f"http://127.0.0.1:{port}",
        RISTRA_PUBLIC_CACHE_SECONDS=str(cache_seconds),
        RISTRA_TASKS="immediate",
    )
    log = open(workdir / f"server-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ristra.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (the gunicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_ready(port: int, paths: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for _ in range(3):  # warms templates and every worker's first render
                for path in paths:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    conn.close()
                    if response.status != 200:
                        raise SystemExit(f"{path} answered {response.status} before the run")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def python_load(port: int, paths: list[str], seconds: float, connections: int) -> Result:
    lock = threading.Lock()
    latencies: list[float] = []
    error_count = [0]
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
        with lock:
            latencies.extend(mine)
            error_count[0] += errors

    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    if len(ms) < 2:
        raise SystemExit("no requests completed")
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return Result(
        "",
        len(ms),
        elapsed,
        cuts[49],
        cuts[94],
        cuts[98],
        error_count[0],
        load_before,
        os.getloadavg()[0],
    )


# wrk's own summary has no p95: a done() hook prints the percentiles and error counts.
_WRK_SCRIPT = """local paths = {%s}
local i = 0
request = function() i = i + 1
  return wrk.format('GET', paths[(i %% #paths) + 1]) end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk_load(
    port: int, paths: list[str], seconds: float, connections: int, workdir: Path
) -> Result:
    script = workdir / "paths.lua"
    script.write_text(_WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths), encoding="utf-8")
    load_before = os.getloadavg()[0]
    run = subprocess.run(
        [
            "wrk",
            f"-c{connections}",
            f"-t{min(connections, os.cpu_count() or 2)}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    n, duration_us, *errors, p50, p95, p99 = (int(x) for x in line.split()[1:])
    return Result(
        "",
        n,
        duration_us / 1e6,
        p50 / 1000,
        p95 / 1000,
        p99 / 1000,
        sum(errors),
        load_before,
        os.getloadavg()[0],
    )


def measure(
    label: str, cache_seconds: int, paths: list[str], workdir: Path, args: argparse.Namespace
) -> Result:
    port = free_port()
    server = start_server(port, workdir, args.workers, cache_seconds)
    try:
        wait_ready(port, paths)
        cpu_before = server_cpu_seconds(server.pid)
        if shutil.which("wrk") and not args.python:
            result = wrk_load(port, paths, args.seconds, args.connections, workdir)
        else:
            result = python_load(port, paths, args.seconds, args.connections)
        result.cpu_ms = (server_cpu_seconds(server.pid) - cpu_before) / result.requests * 1000
    finally:
        stop_server(server)
    result.label = label
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--python", action="store_true", help="use the Python generator")
    parser.add_argument("--no-anchor", action="store_true", help="skip the uncached run")
    args = parser.parse_args()

    workdir = django_on_fresh_database()
    started = time.perf_counter()
    paths = seed()
    print(f"seeded the demo public site in {time.perf_counter() - started:.1f} s: {paths}")
    generator = "Python threads" if args.python or not shutil.which("wrk") else "wrk"
    print(
        f"load: {generator}, {args.connections} connections for {args.seconds:.0f} s on "
        f"{len(paths)} pages; gunicorn {args.workers} workers, DEBUG off, SQLite",
        flush=True,
    )
    runs = [("page cache", 300)] + ([] if args.no_anchor else [("no page cache", 0)])
    results = [measure(label, seconds, paths, workdir, args) for label, seconds in runs]
    for r in results:
        print(
            f"{r.label:14} {r.rps:8.1f} req/s ({r.requests:,} requests)  p50 {r.p50:7.1f} ms  "
            f"p95 {r.p95:7.1f} ms  p99 {r.p99:7.1f} ms  errors {r.errors}  "
            f"server CPU {r.cpu_ms:.2f} ms/request  "
            f"load average {r.load_before:.1f} -> {r.load_after:.1f}"
        )
    cached = results[0]
    if len(results) > 1:
        anchor = results[1]
        print(
            f"page cache vs no page cache: {cached.rps / anchor.rps:.1f}x the requests/s, "
            f"p95 {anchor.p95 / cached.p95:.1f}x lower, "
            f"{anchor.cpu_ms / cached.cpu_ms:.1f}x less server CPU per request"
        )
    met = cached.p95 < TARGET_P95_MS and cached.errors == 0
    print(f"target p95 < {TARGET_P95_MS:.0f} ms with zero errors: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
