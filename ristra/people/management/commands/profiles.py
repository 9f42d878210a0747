from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ristra.analytics.importspec import get_kind
from ristra.analytics.profiles import ProfileError, load_profile, suggest_mapping
from ristra.analytics.tabular import UnusableInput, sniff
from ristra.people.models import MappingProfile


class Command(BaseCommand):
    help = (
        "Mapping profiles: 'list'; 'show NAME'; 'load FILE.yaml' (save or replace by its "
        "name); 'suggest KIND FILE' (print a starting profile from a file's headings)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "show", "load", "suggest"])
        parser.add_argument("args", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        action, rest = options["action"], options["args"]
        if action == "list":
            for p in MappingProfile.objects.all():
                self.stdout.write(f"{p.kind:<12} {p.name}")
        elif action == "show":
            profile = MappingProfile.objects.filter(name=" ".join(rest)).first()
            if profile is None:
                self._fail(f"No profile named '{' '.join(rest)}'.")
                return
            self.stdout.write(profile.yaml)
        elif action == "load":
            if len(rest) != 1 or not Path(rest[0]).is_file():
                self._fail("Give one YAML file to load.")
            text = Path(rest[0]).read_text(encoding="utf-8")
            try:
                parsed = load_profile(text)
            except ProfileError as exc:
                self._fail("The profile has problems:\n  " + "\n  ".join(exc.messages))
                return
            MappingProfile.objects.update_or_create(
                name=parsed.name, defaults={"kind": parsed.kind, "yaml": text}
            )
            self.stdout.write(self.style.SUCCESS(f"Saved profile '{parsed.name}'."))
        elif action == "suggest":
            if len(rest) != 2:
                self._fail("Usage: ristra profiles suggest KIND FILE")
            kind = get_kind(rest[0])
            path = Path(rest[1])
            try:
                info = sniff(path.read_bytes(), filename=path.name)
            except UnusableInput as exc:
                self._fail(exc.message)
                return
            except OSError:
                self._fail(f"Cannot read {path}.")
                return
            mapping = suggest_mapping(list(info.headers), kind)
            self.stdout.write(f"name: {path.stem}\nkind: {kind.name}\ncolumns:")
            for header, field in mapping.items():
                self.stdout.write(f"  {header!r}: {field or 'ignore'}")

    def _fail(self, message: str) -> None:
        self.stderr.write(self.style.ERROR(message))
        sys.exit(2)
