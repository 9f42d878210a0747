"""A dashboard page at 1,000,000 person-years: how long a request takes.

Target (issue 3): the faculty dashboard page renders in under 300 ms, median of 20
requests, over a snapshot of about 1,000,000 person-years.

The snapshot is the synthetic one of ``bench/measures.py`` (same generator, same seed),
completed with the tables the dashboards also read (``meta``, ``school_categories``,
``stage_details``, ``answers``). The page is requested through Django's test client as a
signed-in analyst, so the figure includes access checks, the filter form, building or
fetching the published tables, and rendering the template (not the network).

Printed:
* **warm**: median of 20 requests after the first. Dashboards are computed once per
  snapshot and filters and kept in the shared report cache (the refresh task warms the
  default views), so this is what users see;
* **cold**: median of 5 requests each after emptying every cache: the first visit to a
  view nobody has opened since the last refresh;
* the anchor: the straightforward pandas computation of the same dashboard set from
  ``bench/measures.py``, timed in this run, against the cold page.

Run: ``.venv/bin/python bench/dashboard.py [--people N]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import django_on_fresh_database  # noqa: E402

PEOPLE = 148_000  # faculty, as bench/measures.py: about 1,000,000 person-years
SEED = 7


def _complete(path: Path) -> int:
    """Add (or replace) the tables the dashboards read besides stages/groups/categories,
    and store the dashboards' statements as the product's refresh does."""
    from ristra.people.snapshot import write_statements
    from ristra.reports import dashboards

    con = duckdb.connect(str(path))
    try:
        persons = con.execute("SELECT count(DISTINCT person_id) FROM stages").fetchone()
        count = int(persons[0]) if persons else 0
        con.execute(
            "CREATE OR REPLACE TABLE school_categories AS SELECT person_id, "
            "'faculty' AS population, category, value FROM categories"
        )
        con.execute(
            "CREATE OR REPLACE TABLE stage_details (person_id BIGINT, kind VARCHAR, "
            "academic_year BIGINT, program VARCHAR, round VARCHAR, gpa DOUBLE, mcat BIGINT, "
            "reason VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE answers (person_id BIGINT, dimension VARCHAR, "
            "codes VARCHAR[], declined BOOLEAN, reported_on DATE)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE meta AS SELECT now()::TIMESTAMP AS created_at, "
            "NULL::DATE AS as_of, "
            f"DATE '{dt.date(2026, 11, 1).isoformat()}' AS category_date, "
            f"{count}::BIGINT AS persons"
        )
        write_statements(con, dashboards.dashboard_queries)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="faculty (default: as measures)")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    workdir = django_on_fresh_database()
    import measures as mbench  # bench/measures.py: the generator and the pandas anchor
    from django.conf import settings
    from django.core.cache import caches
    from django.test import Client

    from ristra.accounts.models import Role, User
    from ristra.reports import dashboards

    people = args.people or PEOPLE
    path = workdir / "snapshot.duckdb"
    started = time.perf_counter()
    snapshot = mbench.build_snapshot(people, SEED)
    mbench.write_snapshot(path, snapshot)
    persons = _complete(path)
    print(f"snapshot: {persons:,} people, built in {time.perf_counter() - started:.1f} s")

    settings.RISTRA_SNAPSHOT_PATH = path
    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.create(username="bench", role=Role.ANALYST)
    client = Client()
    client.force_login(user)
    url = "/measures/faculty/?as_of=2026-10-01&first_year=2017&last_year=2026"

    def request() -> float:
        t = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.status_code
        assert b"ristra-data" in response.content
        return elapsed

    cold = []
    for _ in range(5):
        dashboards.forget_cached()
        caches["reports"].clear()
        cold.append(request())
    warm = [request() for _ in range(args.requests)]
    frames = mbench.load_pandas(path)
    mbench.pandas_set(frames)  # warm-up, as bench/measures.py does
    timings = []
    for _ in range(3):
        t = time.perf_counter()
        mbench.pandas_set(frames)
        timings.append(time.perf_counter() - t)
    anchor = statistics.median(timings)

    cold_ms, warm_ms = statistics.median(cold) * 1000, statistics.median(warm) * 1000
    print(f"faculty dashboard page, warm: median {warm_ms:.0f} ms of {len(warm)} requests")
    print(f"faculty dashboard page, cold: median {cold_ms:.0f} ms of {len(cold)} requests")
    print(f"target < 300 ms (warm): {'met' if warm_ms < 300 else 'NOT met'}")
    if anchor:
        print(f"pandas, the same dashboard set (anchor): {anchor * 1000:.0f} ms")
        print(f"cold page vs pandas set: {anchor * 1000 / cold_ms:.2f}x")
        print(f"warm page vs pandas set: {anchor * 1000 / warm_ms:.1f}x")


if __name__ == "__main__":
    main()
