"""Shared set-up for benchmarks: a throwaway SQLite database in a temporary directory."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_fresh_sqlite() -> Path:
    """Point Ristra at an empty database in a temp dir, migrate it, return the dir."""
    workdir = Path(tempfile.mkdtemp(prefix="ristra-bench-"))
    os.environ["RISTRA_VAR_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("RISTRA_TASKS", "immediate")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ristra.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return workdir
