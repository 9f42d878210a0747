"""The climate survey's indicator measure: a factor's or cluster's percent favourable.

Registered from :meth:`ristra.surveys.apps.SurveysConfig.ready` into
:mod:`ristra.reports.indicators` (reports never imports this app).

Decisions
---------
* **Percent favourable, not the mean.** Offices track (and set targets on) the share of
  respondents who answer favourably; the reading is that share as a fraction (0.72 = 72%),
  the same number as the "% favourable" column of the results page's "Scores by cluster
  and factor" table. The mean is on that page too, but is not what a plan targets.
* **Which wave.** ``survey`` names a survey by its instrument (all waves of one instrument
  are one survey, as the results page's year-over-year comparison counts them); the
  reading uses its latest *published* wave (a plan's progress can be public, so it never
  reads results the analyst has not published) that had opened by the
  reading's date, or exactly the wave given as ``wave``. Without ``survey``: the latest
  published survey (the one the standard ``survey-results`` report shows).
* **Suppression.** Exactly the results page's: nothing when the wave has fewer than the
  survey's own ``min_group`` responses, and a score only over at least ``min_group``
  answers (:func:`ristra.reports.published.estimate` with the survey's policy). The
  denominator is the number of respondents as the page shows it (hidden when small); no
  count of favourable answers is published.
* **Not demographic.** The score is over everyone who answered, never by group, so
  decision-makers may see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ristra.reports import indicators as registry
from ristra.reports import published as pub

KEY = "survey_factor_score"


def _done() -> Q:
    """Waves whose results the analyst has published: the only ones a reading may use."""
    return Q(published=True)


def survey_choices() -> list[tuple[str, str]]:
    """(instrument key, title of its latest wave) for every survey with a published wave."""
    from ristra.surveys.models import Survey

    out: dict[str, str] = {}
    for key, title in (
        Survey.objects.filter(_done())
        .order_by("-wave", "-pk")
        .values_list("instrument_key", "title")
    ):
        out.setdefault(key, title)
    return sorted(out.items(), key=lambda kv: kv[1])


def wave_for(params: Mapping[str, Any], as_of: dt.date) -> Any:
    """The survey wave a reading is computed on, or :class:`MeasureError`."""
    from ristra.surveys.models import Survey

    key = params.get("survey") or ""
    wave = params.get("wave") or ""
    waves = Survey.objects.filter(_done())
    waves = waves.filter(instrument_key=key) if key else waves.filter(published=True)
    if wave:
        chosen = waves.filter(wave=wave).order_by("-pk").first()
        if chosen is None:
            raise registry.MeasureError(
                _("The survey has no published wave %(wave)s.") % {"wave": repr(wave)}
            )
        return chosen
    chosen = (
        waves.filter(Q(opens_on__isnull=True) | Q(opens_on__lte=as_of))
        .order_by("-wave", "-pk")
        .first()
    )
    if chosen is None:
        raise registry.MeasureError(
            _("The survey %(survey)s has no published wave by %(date)s.")
            % {"survey": repr(key), "date": as_of.isoformat()}
            if key
            else _("No climate survey results were published by %(date)s.")
            % {"date": as_of.isoformat()}
        )
    return chosen


def _target(survey: Any, key: str) -> tuple[str, str]:
    """(level, label) of a factor or cluster key of the survey's instrument."""
    instrument = survey.instrument
    if key in instrument.factors:
        return "factor", instrument.factors[key].label
    if key in instrument.clusters:
        return "cluster", instrument.clusters[key]
    known = sorted({*instrument.factors, *instrument.clusters})
    raise registry.MeasureError(
        _("%(key)s is not a factor or cluster of %(survey)s (choose one of %(choices)s).")
        % {"key": repr(key), "survey": str(survey), "choices": ", ".join(known)}
    )


def compute(params: Mapping[str, Any], as_of: dt.date) -> registry.IndicatorValue:
    from ristra.analytics.surveys import score
    from ristra.surveys.results import policy_for, responses_frame

    survey = wave_for(params, as_of)
    level, label = _target(survey, params["factor"])
    policy = policy_for(survey)
    definition = _(
        "Percent favourable on the %(level)s %(label)s in %(survey)s, over everyone who "
        "answered (not by group); hidden when fewer than %(k)d people answered."
    ) % {
        "level": _("cluster") if level == "cluster" else _("factor"),
        "label": label,
        "survey": str(survey),
        "k": survey.min_group,
    }
    frame = responses_frame(survey)
    if frame.height < survey.min_group:  # the results page shows nothing at all
        return registry.IndicatorValue(
            value=None,
            numerator=None,
            denominator=None,
            suppressed=frame.height > 0,
            definition=definition,
            as_of=as_of,
        )
    scores = score(frame, survey.instrument).filter(
        (pl.col("level") == level) & (pl.col("key") == params["factor"])
    )
    row = next(scores.iter_rows(named=True), None)
    n = int(row["n"]) if row is not None and row["n"] is not None else 0
    raw = row["pct_favourable"] if row is not None else None
    value = pub.estimate(float(raw), n, policy) if raw is not None else None
    return registry.IndicatorValue(
        value=value,
        numerator=None,
        denominator=pub.base_count(n, policy),
        suppressed=value is None and n > 0,
        definition=definition,
        as_of=as_of,
    )


def register() -> None:
    registry.register(
        registry.IndicatorMeasure(
            key=KEY,
            label=gettext_lazy("Climate survey: percent favourable on a factor or cluster"),
            description=gettext_lazy(
                "For example the share of respondents answering favourably on Belonging in "
                "the latest climate survey, over everyone (never by group)."
            ),
            unit="percent",
            compute=compute,
            params=(
                registry.Param(
                    "factor",
                    gettext_lazy("Factor or cluster"),
                    "text",
                    help_text=gettext_lazy(
                        "Its key in the instrument: 'belonging', 'fair_treatment', ..."
                    ),
                ),
                registry.Param(
                    "survey",
                    gettext_lazy("Survey"),
                    "choice",
                    required=False,
                    help_text=gettext_lazy(
                        "Its latest published wave is read. Empty: the latest published survey."
                    ),
                    choices=survey_choices,
                ),
                registry.Param(
                    "wave",
                    gettext_lazy("Wave"),
                    "text",
                    required=False,
                    help_text=gettext_lazy("Empty: the latest wave at each reading."),
                ),
            ),
            demographic_params=(),
            source="ristra.surveys",
        ),
        replace=True,
    )
