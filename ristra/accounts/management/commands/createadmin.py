from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.accounts.models import Role, User
from ristra.audit.models import Action
from ristra.audit.services import audit_record


class Command(BaseCommand):
    help = "Create an administrator account (asks for the password unless --password-stdin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"An account named '{username}' already exists.")
        if options["password_stdin"]:
            import sys

            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
        user = User(username=username, email=options["email"], role=Role.ADMINISTRATOR)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        audit_record(
            actor=None,
            action=Action.CREATE,
            object_type="user",
            object_id=user.pk,
            summary=f"Created administrator {username} from the command line",
        )
        self.stdout.write(self.style.SUCCESS(f"Administrator '{username}' created."))
