"""The fixed cast every test uses (one of each role, plus people outside)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests: no per-example deadline (a busy 2-core CI machine makes timings
# meaningless) and, by default, a fixed seed, so a CI run is reproducible and a failure
# is the same failure on every machine. `HYPOTHESIS_PROFILE=explore make test` draws
# fresh, more numerous examples to hunt for new counterexamples.
hypothesis_settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile(
    "explore", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
        # mentoring participants: a faculty mentor and a resident with no office role
        "participant_mentor": make("jonas", Role.PARTICIPANT, first_name="Jonas"),
        "participant_mentee": make("kiri", Role.PARTICIPANT, first_name="Kiri"),
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
def _browser_pages_closed_before_the_live_server(request: Any) -> Any:
    """For live-server tests: close the browser's pages before the database is flushed.

    Requesting ``live_server`` and ``transactional_db`` here orders this fixture after
    them, so its teardown runs first (see ``quiet_browsers``).
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    request.getfixturevalue("live_server")
    yield
    from ristra.core.tests.test_accessibility import quiet_browsers

    quiet_browsers()


@pytest.fixture(autouse=True)
def _snapshot_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Tests never write the real snapshot; imports refresh it only where a test asks."""
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "snapshot.duckdb"
    settings.RISTRA_SNAPSHOT_AFTER_IMPORT = False
    settings.RISTRA_WARM_DASHBOARDS = False


@pytest.fixture(scope="module")
def demo_snapshot(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Any:
    """A small demo school with its categories and benchmark, and its snapshot file.

    Built once per test module (committed outside the tests' transactions) and removed
    after the module; tests point ``RISTRA_SNAPSHOT_PATH`` at the yielded path.
    """
    from ristra.accounts.models import User
    from ristra.people.demo import build_demo_school, clear_people_data
    from ristra.people.snapshot import snapshot_frames, snapshot_write
    from ristra.reports import dashboards
    from ristra.reports.demo import seed_definitions
    from ristra.reports.models import Benchmark, Category
    from ristra.reports.services import category_set

    path = tmp_path_factory.mktemp("snapshot") / "snapshot.duckdb"
    with django_db_blocker.unblock():
        build_demo_school(seed=7, scale="small")
        seed_definitions()
        frames = snapshot_frames(category_set=category_set())
        # As the refresh writes it: with the dashboards' statements compiled.
        snapshot_write(path, frames, statements=dashboards.dashboard_queries)
    yield path
    dashboards.forget_cached()
    with django_db_blocker.unblock():
        clear_people_data()
        Category.objects.all().delete()
        Benchmark.objects.all().delete()
        User.objects.filter(username__in=["admin", "analyst", "manager", "viewer", "dean"]).delete()
