from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ristra.mentoring.models import MatchRun

from .conftest import enrol, make_user


def test_dry_run_prints_the_quality_report_and_keeps_nothing(
    cast: dict[str, Any], cycle: Any
) -> None:
    enrol(cycle, cast["mentor"], "mentor", capacity=1, specialty="Pediatrics")
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    enrol(cycle, make_user("zed"), "mentee", specialty="Surgery")
    out = StringIO()
    call_command("match", str(cycle.pk), "--policy", "welfare", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "policy: welfare" in text
    assert "mentees matched:           1 of 2" in text
    assert "unmatched: zed" in text
    assert not MatchRun.objects.exists()


def test_without_dry_run_every_policy_is_kept(cast: dict[str, Any], cycle: Any) -> None:
    enrol(cycle, cast["mentor"], "mentor", capacity=2, specialty="Pediatrics")
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    out = StringIO()
    call_command("match", str(cycle.pk), "--policy", "all", stdout=out)
    assert MatchRun.objects.count() == 4
    assert out.getvalue().count("kept as run") == 4


def test_an_unknown_cycle_is_a_clear_error(db: Any) -> None:
    with pytest.raises(CommandError, match="no cycle 999"):
        call_command("match", "999", "--dry-run")
