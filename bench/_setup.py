"""Shared set-up for benchmarks: a throwaway database (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_fresh_database(postgres_url: str | None = None) -> Path:
    """Point Ristra at an empty database, migrate it, and return a scratch directory.

    With ``postgres_url`` (a server URL such as postgres://postgres@127.0.0.1:5432/postgres)
    a database is created for the run and dropped at exit; otherwise SQLite in the temp dir.
    """
    workdir = Path(tempfile.mkdtemp(prefix="ristra-bench-"))
    os.environ["RISTRA_VAR_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    if postgres_url:
        import psycopg

        name = f"ristra_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name}")

        atexit.register(drop)
        os.environ["DATABASE_URL"] = postgres_url.rsplit("/", 1)[0] + "/" + name
    os.environ.setdefault("RISTRA_TASKS", "immediate")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ristra.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return workdir


def database_label() -> str:
    from django.db import connection

    return "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
