"""Bounded load on loopback: gunicorn workers on PostgreSQL with the demo school.

Creates a throwaway PostgreSQL database (127.0.0.1:5432, user postgres, trust auth), loads
the demo school, starts gunicorn (--workers N) and, as the anchor, the Django development
server, and drives each for --seconds with --clients threads (one keep-alive http.client
connection each) over three groups: public pages (/, /news/, ...), dashboards (signed in as the
demo analyst) and the API (only if /api/openapi.json answers). Prints requests/s,
p50/p95/p99 and errors per group. Usage:

    python bench/load.py --seconds 30 --clients 8 --workers 3
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ["/", "/programs/", "/news/", "/events/", "/data/"]
DASHBOARDS = ["/office/", "/measures/", "/measures/students/", "/measures/faculty/"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True
    )


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", resp.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert cookie and token, "no login form"
    body = f"csrfmiddlewaretoken={token.group(1)}&login=analyst&password=ristra-demo-2026"
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie.group(1)}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    resp = conn.getresponse()
    resp.read()
    session = re.search(r"sessionid=([^;]+)", resp.getheader("Set-Cookie") or "")
    assert session, f"login failed ({resp.status})"
    return f"sessionid={session.group(1)}"


def drive(port: int, paths: list[str], seconds: float, clients: int, cookie: str = "") -> dict:
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = offset
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                times.append(elapsed)
                if not ok:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(times, n=100) if len(times) > 1 else [0.0] * 99
    return {
        "requests": len(times),
        "rps": len(times) / seconds,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "errors": errors[0],
    }


def wait_ready(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server on {port} did not start")


def has_api(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/openapi.json")
    resp = conn.getresponse()
    resp.read()
    return resp.status == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    db = f"ristra_load_{os.getpid()}"
    var = Path(tempfile.mkdtemp(prefix="ristra-load-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}",
        RISTRA_VAR_DIR=str(var),
        RISTRA_TASKS="immediate",
        DJANGO_SETTINGS_MODULE="ristra.settings",
    )
    psql(f'CREATE DATABASE "{db}"')
    servers: list[subprocess.Popen[bytes]] = []
    try:
        py = sys.executable
        for cmd in (["migrate", "-v", "0"], ["createcachetable"], ["demo"]):
            subprocess.run(
                [py, "manage.py", *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        gport, dport = free_port(), free_port()
        gunicorn = [
            py,
            "-m",
            "gunicorn",
            "ristra.wsgi:application",
            "--bind",
            f"127.0.0.1:{gport}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ]
        dev = [py, "manage.py", "runserver", f"127.0.0.1:{dport}", "--noreload", "--insecure"]
        for name, cmd, port in (("gunicorn", gunicorn, gport), ("runserver", dev, dport)):
            servers.append(
                subprocess.Popen(
                    cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            wait_ready(port)
            groups = {"public": (PUBLIC, ""), "dashboards": (DASHBOARDS, login(port))}
            if has_api(port):
                groups["api"] = (["/api/openapi.json"], groups["dashboards"][1])
            else:
                print(f"[{name}] /api/openapi.json does not answer: API group skipped")
            for group, (paths, cookie) in groups.items():
                drive(port, paths, 3, args.clients, cookie)  # warm caches
                r = drive(port, paths, args.seconds, args.clients, cookie)
                print(
                    f"{name:10} {group:11} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  "
                    f"p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms  errors {r['errors']}"
                    f"/{r['requests']}",
                    flush=True,
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
