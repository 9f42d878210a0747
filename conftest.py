"""The fixed cast every test uses (one of each role, plus people outside)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def cast(db: Any) -> dict[str, Any]:
    from ristra.accounts.models import ProgramScope, Role, User

    program, _ = ProgramScope.objects.get_or_create(
        slug="gme-mentorship-2027", defaults={"name": "GME Mentorship 2027"}
    )

    def make(username: str, role: str, **extra: Any) -> User:
        user = User.objects.create(
            username=username, email=f"{username}@example.org", role=role, **extra
        )
        return user

    people = {
        "admin": make("alice", Role.ADMINISTRATOR, first_name="Alice"),
        "analyst": make("bob", Role.ANALYST, first_name="Bob"),
        "manager": make("carmen", Role.PROGRAM_MANAGER, first_name="Carmen"),
        "viewer": make("dana", Role.VIEWER, first_name="Dana"),
        "decider": make("eli", Role.ANALYST, first_name="Eli", is_decision_maker=True),
        "decider_admin": make("fay", Role.ADMINISTRATOR, is_decision_maker=True),
        "mentor": make("gus", Role.VIEWER, first_name="Gus"),
        "mentee": make("hana", Role.VIEWER, first_name="Hana"),
        "outsider": make("ivan", ""),  # an account with no role: sees nothing
    }
    people["manager"].programs.add(program)
    return people


@pytest.fixture
def client_for(client: Any, cast: dict[str, Any]) -> Any:
    def login(who: str | None) -> Any:
        client.logout()
        if who is not None:
            client.force_login(cast[who])
        return client

    return login


@pytest.fixture(autouse=True)
def _snapshot_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Tests never write the real snapshot; imports refresh it only where a test asks."""
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "snapshot.duckdb"
    settings.RISTRA_SNAPSHOT_AFTER_IMPORT = False
    settings.RISTRA_WARM_DASHBOARDS = False
