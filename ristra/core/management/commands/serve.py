"""Serve Ristra with a background worker in the same process (the embedded default)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def start_worker_thread() -> threading.Thread | None:
    """Run django-tasks-db's worker loop in a daemon thread, if tasks go to the database."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return None
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=0.5,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="ristra-serve",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="ristra-worker", daemon=True)
    thread.start()
    return thread


class Command(BaseCommand):
    help = (
        "Serve Ristra at http://HOST:PORT with an in-process background worker, so large "
        "imports run without a separate worker process. In production run a WSGI server "
        "and 'ristra db_worker' instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        start_worker_thread()
        host, port = options["host"], options["port"]
        from ristra.accounts.models import User

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Ristra is starting on http://{host}:{port}/"))
        self.stdout.write(f"  Public site: http://{host}:{port}/   (edit its pages at /cms/)")
        self.stdout.write(f"  Office staff: http://{host}:{port}/office/ (sign in there)")
        try:
            from ristra.people.demo import DEMO_PASSWORD

            if User.objects.filter(username="admin").exists() and User.objects.get(
                username="admin"
            ).check_password(DEMO_PASSWORD):
                self.stdout.write(
                    f"  Sign in as admin / {DEMO_PASSWORD} (demo accounts: admin, analyst, "
                    "manager, viewer, dean — same password). Every person shown is fictional."
                )
                if settings.RISTRA_ADMIN_MFA:
                    self.stdout.write(
                        "  An administrator signing in with a password is first asked to set up "
                        "an authenticator app (TOTP); the other demo accounts go straight in. "
                        "RISTRA_ADMIN_MFA=off lifts the rule (docs/single-sign-on.md)."
                    )
        except ImportError:  # pragma: no cover - demo module is part of the package
            pass
        if not User.objects.exists():
            self.stdout.write("  No accounts yet: create one with 'ristra createadmin'.")
        self.stdout.write("  Stop with Ctrl+C.\n")
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
