"""ristra backup / ristra restore round-trip the demo school, every table row for row.

Real instances in subprocesses: the demo school is built once for the module in its own
SQLite database (or, when the suite runs on PostgreSQL, in a throwaway PostgreSQL database),
backed up, and restored into a second, empty one.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[3]
# Not data: applied-at times, sessions, the search index (rebuilt on restore), the cache.
IGNORED = {"django_session", "ristra_cache"}


def _postgres_base() -> dict[str, Any] | None:
    url = os.environ.get("DATABASE_URL", "")
    return dict(dj_database_url.parse(url)) if url.startswith("postgres") else None


def _env(var: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update(
        RISTRA_VAR_DIR=str(var),
        DATABASE_URL=url,
        RISTRA_TASKS="immediate",
        DJANGO_SETTINGS_MODULE="ristra.settings",
    )
    return env


def _manage(
    var: Path, url: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(var, url),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


class Instance:
    def __init__(self, base: Path, name: str) -> None:
        self.var = base / name
        self.var.mkdir()
        pg = _postgres_base()
        if pg is None:
            self.url = f"sqlite:///{self.var / 'ristra.sqlite3'}"
            self.pg: dict[str, Any] | None = None
        else:
            import psycopg

            self.pg = {**pg, "NAME": f"ristra_backup_{name}_{os.getpid()}"}
            with psycopg.connect(**self._pg_args("postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg["NAME"]}"')
                conn.execute(f'CREATE DATABASE "{self.pg["NAME"]}"')
            self.url = (
                f"postgres://{pg['USER']}:{pg.get('PASSWORD') or ''}@{pg['HOST']}:"
                f"{pg.get('PORT') or 5432}/{self.pg['NAME']}"
            )

    def _pg_args(self, dbname: str) -> dict[str, Any]:
        assert self.pg is not None
        return {
            "host": self.pg["HOST"],
            "port": self.pg.get("PORT") or 5432,
            "user": self.pg["USER"],
            "password": self.pg.get("PASSWORD") or None,
            "dbname": dbname,
        }

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _manage(self.var, self.url, *args, check=check)

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows, sorted, as the database returns them."""
        if self.pg is None:
            conn: Any = sqlite3.connect(self.var / "ristra.sqlite3")
            names_sql = (
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        else:
            import psycopg

            conn = psycopg.connect(**self._pg_args(self.pg["NAME"]))
            names_sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        try:
            names = sorted(r[0] for r in conn.execute(names_sql).fetchall())
            out: dict[str, list[tuple[Any, ...]]] = {}
            for name in names:
                if name in IGNORED or name.startswith("wagtailsearch"):
                    continue
                if name == "django_migrations":
                    sql = "SELECT app, name FROM django_migrations"
                else:
                    sql = f'SELECT * FROM "{name}"'  # noqa: S608 - names from the catalogue
                out[name] = sorted(conn.execute(sql).fetchall(), key=repr)
            return out
        finally:
            conn.close()

    def drop(self) -> None:
        if self.pg is not None:
            import psycopg

            with psycopg.connect(**self._pg_args("postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg["NAME"]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def demo_backup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Path]]:
    base = tmp_path_factory.mktemp("backup")
    source = Instance(base, "source")
    source.manage("migrate", "--no-input", "-v", "0")
    source.manage("demo")
    (source.var / "media" / "imports").mkdir(parents=True, exist_ok=True)
    (source.var / "media" / "imports" / "kept.csv").write_text("EMPLID\nE1\n")
    archive = base / "demo.tar.gz"
    out = source.manage("backup", "--output", str(archive)).stdout
    assert "Wrote" in out
    yield source, archive
    source.drop()


def test_restore_reproduces_every_table_row_for_row(
    demo_backup: tuple[Instance, Path], tmp_path: Path
) -> None:
    source, archive = demo_backup
    target = Instance(tmp_path, "target")
    try:
        out = target.manage("restore", str(archive)).stdout
        assert "Restored" in out
        before, after = source.tables(), target.tables()
        assert sorted(before) == sorted(after)
        assert sum(len(rows) for rows in before.values()) > 100_000  # the demo school
        differing = [name for name in before if before[name] != after[name]]
        assert differing == []
        # Uploaded files and the snapshot came back too.
        assert (target.var / "media" / "imports" / "kept.csv").read_text() == "EMPLID\nE1\n"
        snapshot = source.var / "snapshot.duckdb"
        assert (target.var / "snapshot.duckdb").read_bytes() == snapshot.read_bytes()

        # The restored instance now holds data: a second restore is refused, clearly.
        again = target.manage("restore", str(archive), check=False)
        assert again.returncode != 0
        assert "already holds data" in again.stderr
        assert "Traceback" not in again.stderr
    finally:
        target.drop()


def test_a_damaged_archive_is_refused_before_anything_is_written(
    demo_backup: tuple[Instance, Path], tmp_path: Path
) -> None:
    _, archive = demo_backup
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            handle = src.extractfile(member)
            if member.name == "db/people_person.jsonl":
                assert handle is not None
                data = handle.read().replace(b"a", b"e", 1)
                import io

                dst.addfile(member, io.BytesIO(data))
            else:
                dst.addfile(member, handle)
    target = Instance(tmp_path, "damaged_target")
    try:
        done = target.manage("restore", str(damaged), check=False)
        assert done.returncode != 0
        assert "people_person.jsonl is damaged" in done.stderr
        assert "Traceback" not in done.stderr
        assert target.manage("restore", "--verify-only", str(archive)).returncode == 0
    finally:
        target.drop()
