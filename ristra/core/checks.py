"""Ristra's own system checks: ``ristra check`` (and ``--deploy`` for production).

They run with Django's (``manage.py check`` is the same command). Errors stop the server
from starting; warnings name what to change in the environment (docs/deploy.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


def _writable(path: Path) -> bool:
    path = path if path.exists() else path.parent
    return os.access(path, os.W_OK)


@register()
def storage_writable(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problems = []
    places = {
        "RISTRA_VAR_DIR": Path(settings.VAR_DIR),
        "MEDIA_ROOT (uploaded files)": Path(settings.MEDIA_ROOT),
        "RISTRA_SNAPSHOT_PATH (analytics snapshot)": Path(settings.RISTRA_SNAPSHOT_PATH).parent,
    }
    for name, path in places.items():
        if not _writable(path):
            problems.append(
                Error(
                    f"{name} is not writable by this user: {path}",
                    hint="Give the service account write access (docs/deploy.md).",
                    id="ristra.E001",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    found = []
    if not settings.PRODUCTION:
        found.append(
            Warning(
                "RISTRA_ENV is not 'production': HTTPS-only cookies, HSTS and the HTTPS "
                "redirect are off by default.",
                hint="Set RISTRA_ENV=production on the server.",
                id="ristra.W001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        found.append(
            Warning(
                "The database is SQLite: one writer at a time, so pages wait while an import "
                "commits.",
                hint="Set DATABASE_URL to a PostgreSQL database for a multi-user office.",
                id="ristra.W002",
            )
        )
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        found.append(
            Warning(
                "Background tasks run inside web requests (RISTRA_TASKS=immediate): a large "
                "import holds a web worker until it finishes.",
                hint="Unset RISTRA_TASKS and run 'ristra db_worker' as a service.",
                id="ristra.W003",
            )
        )
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        found.append(
            Warning(
                "E-mail goes to the console, not to anyone (newsletter, reminders, contact form).",
                hint="Set RISTRA_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
                "and RISTRA_EMAIL_HOST (docs/deploy.md).",
                id="ristra.W004",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        found.append(
            Warning(
                f"RISTRA_SITE_URL is {settings.SITE_URL!r}: links in e-mail would not use HTTPS.",
                hint="Set RISTRA_SITE_URL to the public https:// address.",
                id="ristra.W005",
            )
        )
    return found
