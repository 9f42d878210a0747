"""The survey results screen end to end: 20,000 stored responses to the example instrument
(24 Likert items, 2 open questions, 3 demographic breakdowns), requested as an analyst
through Django's test client, so the time is the whole page: the database read,
disclosure checks, scores, gaps, charts and the rendered HTML of ``/surveys/<id>/results/``.

    python bench/survey_results_page.py [--responses 20000] [--repeat 5] [--postgres URL]

Prints the time to group the comments into themes (done once, in the background, when a
survey closes; cached by content), then for each page the first request and the median of
``--repeat`` further ones, as wall and process CPU time. The process first serves another
page (its first request loads every app's URLs and views; printed apart), so "first" is
the results page's own cold cost. Pages: every breakdown; one breakdown; one group of the
filter question (role = Faculty) broken down by gender. The analytics core alone is in
``bench/surveys.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_fresh_database  # noqa: E402

WORDS = [
    "mentoring",
    "welcoming",
    "schedule",
    "workload",
    "leadership",
    "voice",
    "bias",
    "feedback",
    "committee",
    "fair",
    "respect",
    "colleagues",
    "training",
    "promotion",
    "support",
    "clinic",
    "students",
    "staff",
    "faculty",
    "trust",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    django_on_fresh_database(args.postgres)

    from importlib import resources

    from ristra.analytics.surveys import EXAMPLE_INSTRUMENT
    from ristra.surveys import services
    from ristra.surveys.models import Response
    from ristra.surveys.results import warm_themes

    text = resources.files("ristra.analytics.data").joinpath(EXAMPLE_INSTRUMENT).read_text()
    survey = services.survey_create(
        title="Bench", wave="2026", mode="link", instrument_text=text, status="closed"
    )
    instrument = survey.instrument
    rng = random.Random(1)  # noqa: S311 - synthetic data
    rows = []
    for _ in range(args.responses):
        answers: dict[str, object] = {i.key: rng.randint(1, 5) for i in instrument.likert_items}
        if rng.random() < 0.5:
            answers["strength"] = " ".join(rng.choice(WORDS) for _ in range(8))
        demographics = {
            key: rng.choice(instrument.item(key).options) for key in ("role", "gender", "urim")
        }
        rows.append(
            Response(
                survey=survey,
                period="2026",
                channel="link",
                answers=answers,
                demographics=demographics,
                sealed=True,
            )
        )
    Response.objects.bulk_create(rows, batch_size=2000)
    start = time.perf_counter()
    warm_themes(survey)
    print(
        f"comment themes, {args.responses // 2:,} comments (once, on closing): "
        f"{time.perf_counter() - start:.1f} s"
    )
    from django.test import Client

    from ristra.accounts.models import Role, User

    survey.filter_split = "role"
    survey.save(update_fields=["filter_split"])
    client = Client()
    client.force_login(User.objects.create(username="bench-analyst", role=Role.ANALYST))
    url = f"/surveys/{survey.pk}/results/"
    # The process's first request loads every app's URLs and views (about 2 s here, paid
    # once per worker at start-up): serve another page first so "first" below is the
    # results page's own cold cost (its charts library, templates, instrument).
    wall, cpu = time.perf_counter(), time.process_time()
    assert client.get("/surveys/", HTTP_HOST="localhost").status_code == 200
    print(
        f"process start-up (first request, the survey list): {time.perf_counter() - wall:.2f} s "
        f"(CPU {time.process_time() - cpu:.2f} s)"
    )
    pages: tuple[tuple[str, dict[str, str]], ...] = (
        ("every breakdown", {}),
        ("one breakdown (by=role)", {"by": "role"}),
        ("filter + breakdown (within=Faculty&by=gender)", {"within": "Faculty", "by": "gender"}),
    )
    for label, query in pages:
        times = []
        for _ in range(args.repeat + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            page = client.get(url, query, HTTP_HOST="localhost")
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
            assert page.status_code == 200, page.status_code
        body = page.content.decode()
        assert "Scores by cluster and factor" in body
        if "within" in query:
            assert "Only respondents who answered" in body
        (cold_wall, cold_cpu), rest = times[0], times[1:]
        print(
            f"results page, {args.responses:,} responses, {label}: "
            f"first {cold_wall:.2f} s (CPU {cold_cpu:.2f} s); "
            f"median of {len(rest)} {statistics.median(t[0] for t in rest):.2f} s "
            f"(CPU {statistics.median(t[1] for t in rest):.2f} s), "
            f"{len(page.content) // 1024} KiB of HTML"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
