"""Backups: one archive with the database, the uploaded files and the analytics snapshot.

The database is written table by table as JSON lines of each row's stored values, through
the ORM, so an archive from SQLite restores into PostgreSQL and back. Restoring inserts the
rows exactly as they were (same ids), in one transaction, into a freshly migrated database
that holds nothing but what ``migrate`` itself writes.

Archive layout (tar.gz)::

    manifest.json          format, Ristra version, database vendor, applied migrations,
                           row count and SHA-256 of every member
    db/<table>.jsonl       one JSON array per row, columns listed in the manifest
    media/...              MEDIA_ROOT (uploaded import files, CMS images and documents)
    snapshot/snapshot.duckdb   the analytics snapshot, when one exists
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone
from django.utils.duration import duration_iso_string

FORMAT = "ristra-backup/1"
CHUNK = 5000
# Not data: sessions expire, and the search index is rebuilt after a restore.
SKIPPED_APPS = {"sessions", "wagtailsearch"}


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why and what to do."""


@dataclass
class Manifest:
    format: str
    ristra_version: str
    created_at: str
    database_vendor: str
    migrations: list[list[str]]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # member name -> sha256


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ristra")
    except PackageNotFoundError:  # running from a checkout
        return "unknown"


def data_models() -> list[type[Model]]:
    """Every table-backed model, one per table, in a stable order."""
    seen: set[str] = set()
    found: list[type[Model]] = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in SKIPPED_APPS:
            continue
        if meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


def _columns(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.local_concrete_fields]


def _encode(value: Any) -> Any:
    """JSON for one stored value, precise enough to come back identical."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _applied_migrations() -> list[list[str]]:
    recorder = MigrationRecorder(connection)
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_write(*, target: Path) -> Manifest:
    """Write the whole instance to ``target`` (a .tar.gz); return its manifest."""
    manifest = Manifest(
        format=FORMAT,
        ristra_version=_version(),
        created_at=timezone.now().isoformat(),
        database_vendor=connection.vendor,
        migrations=_applied_migrations(),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ristra-backup-") as tmp:
        staging = Path(tmp)
        members: list[tuple[Path, str]] = []
        # One read transaction: every table from the same moment (PostgreSQL: repeatable read).
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for model in data_models():
                table = model._meta.db_table
                columns = _columns(model)
                fields = list(model._meta.local_concrete_fields)
                path = staging / f"{table}.jsonl"
                rows = 0
                with path.open("w", encoding="utf-8") as out:
                    query = model._base_manager.order_by("pk").values_list(*columns)
                    for row in query.iterator(chunk_size=CHUNK):
                        # Back to what the field stores (a CMS StreamField: plain JSON).
                        stored = [f.get_prep_value(v) for f, v in zip(fields, row, strict=True)]
                        out.write(json.dumps(stored, default=_encode, ensure_ascii=False))
                        out.write("\n")
                        rows += 1
                manifest.tables[table] = {
                    "model": model._meta.label,
                    "columns": columns,
                    "rows": rows,
                }
                members.append((path, f"db/{table}.jsonl"))
        media = Path(settings.MEDIA_ROOT)
        if media.is_dir():
            for path in sorted(p for p in media.rglob("*") if p.is_file()):
                members.append((path, f"media/{path.relative_to(media).as_posix()}"))
        snapshot = Path(settings.RISTRA_SNAPSHOT_PATH)
        if snapshot.is_file():
            members.append((snapshot, "snapshot/snapshot.duckdb"))
        for path, name in members:
            manifest.files[name] = _sha256(path)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            data = json.dumps(manifest.__dict__, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            for path, name in members:
                archive.add(path, arcname=name, recursive=False)
        partial.replace(target)  # a half-written archive never carries the final name
    return manifest


# ---------------------------------------------------------------------------------------
# Restore


def _read_manifest(archive: tarfile.TarFile) -> Manifest:
    try:
        handle = archive.extractfile("manifest.json")
    except KeyError:
        raise BackupError("This file is not a Ristra backup: it has no manifest.") from None
    assert handle is not None
    raw = json.load(handle)
    if raw.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {raw.get('format')!r}; expected {FORMAT}.")
    return Manifest(**raw)


def _rows(handle: IO[bytes]) -> Iterator[list[Any]]:
    for line in io.TextIOWrapper(handle, encoding="utf-8"):
        if line.strip():
            yield json.loads(line)


def instance_is_empty() -> tuple[bool, str]:
    """Empty: no accounts and no rows in any of Ristra's own tables (``migrate`` adds none)."""
    for model in data_models():
        label = model._meta.app_label
        is_ours = model.__module__.startswith("ristra.")
        if (is_ours or label == "accounts") and model._base_manager.exists():
            return False, model._meta.db_table
    return True, ""


def backup_verify(*, source: Path) -> Manifest:
    """Check every member against the manifest's checksum before anything is written."""
    with tarfile.open(source, "r:gz") as archive:
        manifest = _read_manifest(archive)
        names = set(archive.getnames()) - {"manifest.json"}
        if names != set(manifest.files):
            raise BackupError("The archive's contents do not match its manifest.")
        for member in archive.getmembers():
            if member.name == "manifest.json":
                continue
            handle = archive.extractfile(member)
            assert handle is not None
            digest = hashlib.sha256()
            for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(block)
            if digest.hexdigest() != manifest.files[member.name]:
                raise BackupError(f"{member.name} is damaged: its checksum does not match.")
    return manifest


def backup_restore(*, source: Path) -> Manifest:
    """Restore ``source`` into this instance, which must be empty; all or nothing."""
    manifest = backup_verify(source=source)
    call_command("migrate", verbosity=0, interactive=False)
    here = {tuple(m) for m in _applied_migrations()}
    there = {tuple(m) for m in manifest.migrations}
    if here != there:
        missing = sorted(there - here)[:3]
        raise BackupError(
            "The backup was written by a different version of Ristra (database migrations "
            f"differ, e.g. {missing or sorted(here - there)[:3]}). Install the version "
            f"that wrote it ({manifest.ristra_version}) and restore again."
        )
    empty, table = instance_is_empty()
    if not empty:
        raise BackupError(
            f"This instance already holds data (table {table} has rows). Restore only into "
            "an empty instance: point DATABASE_URL at a new, empty database."
        )
    models = {m._meta.db_table: m for m in data_models()}
    unknown = set(manifest.tables) - set(models)
    if unknown:
        raise BackupError(f"The backup has tables this version does not know: {sorted(unknown)}")

    with tarfile.open(source, "r:gz") as archive, transaction.atomic():
        with connection.cursor() as cursor:
            # What migrate wrote (content types, permissions, the CMS root page) is replaced
            # by the backup's own rows, ids included. Foreign keys are checked at commit.
            for table in manifest.tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
        for table, info in manifest.tables.items():
            model = models[table]
            by_attname = {f.attname: f for f in model._meta.local_concrete_fields}
            fields = [by_attname[c] for c in info["columns"]]
            handle = archive.extractfile(f"db/{table}.jsonl")
            assert handle is not None
            batch: list[SimpleNamespace] = []
            for row in _rows(handle):
                values = {f.attname: f.to_python(v) for f, v in zip(fields, row, strict=True)}
                batch.append(SimpleNamespace(**values))
                if len(batch) >= CHUNK:
                    model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
                    batch = []
            if batch:
                model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(models.values())):
                cursor.execute(sql)
        connection.check_constraints()

    media = Path(settings.MEDIA_ROOT)
    snapshot = Path(settings.RISTRA_SNAPSHOT_PATH)
    with tarfile.open(source, "r:gz") as archive:
        for member in archive.getmembers():
            if member.name.startswith("media/"):
                dest = media / member.name.removeprefix("media/")
            elif member.name == "snapshot/snapshot.duckdb":
                dest = snapshot
            else:
                continue
            if not member.isfile() or ".." in Path(member.name).parts:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            handle = archive.extractfile(member)
            assert handle is not None
            with dest.open("wb") as out:
                shutil.copyfileobj(handle, out)

    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    call_command("update_index", verbosity=0)  # the CMS search index (wagtailsearch)
    return manifest
