"""The survey results screen end to end: 20,000 stored responses to the example instrument
(24 Likert items, 2 open questions, 3 demographic breakdowns), read from the database,
disclosure-checked, scored, compared and published, as ``/surveys/<id>/results/`` does.

    python bench/survey_results_page.py [--responses 20000] [--postgres URL]

Prints the time to group the comments into themes (done once, in the background, when a
survey closes; cached by content) and the time of the results page with every breakdown
and with one breakdown. The analytics core alone is in ``bench/surveys.py``.
"""

from __future__ import annotations

import argparse
import random
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
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    django_on_fresh_database(args.postgres)

    from importlib import resources

    from ristra.analytics.surveys import EXAMPLE_INSTRUMENT
    from ristra.surveys import services
    from ristra.surveys.models import Response
    from ristra.surveys.results import build_report, warm_themes

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
    for label, options in (("every breakdown", {}), ("one breakdown", {"by": "role"})):
        start = time.perf_counter()
        report = build_report(survey, breakdowns=True, **options)
        print(
            f"results page, {args.responses:,} responses, {label}: "
            f"{time.perf_counter() - start:.2f} s ({len(report.sections)} sections)"
        )


if __name__ == "__main__":
    main()
