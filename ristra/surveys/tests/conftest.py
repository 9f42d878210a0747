from __future__ import annotations

import random
from importlib import resources
from typing import Any

import pytest

from ristra.analytics.surveys import EXAMPLE_INSTRUMENT


def example_text() -> str:
    return resources.files("ristra.analytics.data").joinpath(EXAMPLE_INSTRUMENT).read_text()


@pytest.fixture
def survey_factory(db: Any, cast: dict[str, Any]) -> Any:
    from ristra.surveys import services

    def make(**extra: Any) -> Any:
        values: dict[str, Any] = {
            "title": "Climate",
            "wave": "2026",
            "mode": "link",
            "status": "open",
        }
        values.update(extra)
        return services.survey_create(
            instrument_text=example_text(), created_by=cast["analyst"], **values
        )

    return make


def fill(survey: Any, n: int, *, seed: int = 1, groups: dict[str, list[str]] | None = None) -> None:
    """Store ``n`` plausible responses directly (for results tests)."""
    from ristra.surveys.services import Answers, _store

    rng = random.Random(seed)
    instrument = survey.instrument
    for _ in range(n):
        answers: dict[str, Any] = {i.key: rng.randint(1, 5) for i in instrument.likert_items}
        answers["strength"] = rng.choice(
            ["mentoring program is great", "welcoming colleagues", "flexible schedule"]
        )
        demo = {
            key: rng.choice(values)
            for key, values in (groups or {"role": ["Faculty", "Staff", "Student"]}).items()
        }
        _store(survey, Answers(answers, demo), "link")
