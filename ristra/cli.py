"""The ``ristra`` command: the management commands, under one name.

``ristra --help`` lists the commands an office uses; ``ristra COMMAND --help`` documents one.
Every other Django management command is still reachable (``ristra migrate``).
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "Serve Ristra on http://127.0.0.1:8000 with a background worker in-process.",
    "demo": "Build the fictional demo school (deterministic).",
    "import": "Import a CSV or XLSX export: check it, then commit it as one batch.",
    "rollback": "Roll back a committed import batch.",
    "batches": "List import batches and their counts.",
    "profiles": "List, show, suggest or load mapping profiles.",
    "createadmin": "Create an administrator account.",
    "audit": "Search the audit log.",
    "snapshot": "Write the analytics snapshot (DuckDB) the measures read.",
    "report": "Write a standard report as CSV, XLSX, PDF or JSON (--list shows them).",
    "match": "Run a mentoring cycle's matching and print the quality report (--dry-run).",
    "link": "Link pathway participants to later records (--program, --cohort); prints the counts.",
    "mentoring_tick": "Mentoring's daily time checks: requests, check-in and follow-up reminders.",
    "training_reminders": "E-mail everyone overdue for a required training (--dry-run).",
    "survey_reminders": "Remind people invited to an open climate survey who have not answered.",
    "db_worker": "Run the background worker as a separate process (production).",
    "backup": "Write one archive of the database, uploaded files and the snapshot.",
    "restore": "Restore a backup archive into an empty instance.",
    "check": "Report misconfiguration (Django's checks with Ristra's, --deploy for production).",
    "migrate": "Create or update the database tables.",
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: ristra COMMAND [options]",
        "",
        "Ristra: the platform for diversity, inclusion and community-engagement offices.",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += ["", "Run 'ristra COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ristra.settings")
    from django.core.management import execute_from_command_line

    # The worker first marks imports a killed worker left half-way as failed (ristra worker).
    if args[0] == "db_worker":
        args[0] = "worker"
    execute_from_command_line(["ristra", *args])


if __name__ == "__main__":
    main()
