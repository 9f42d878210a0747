"""The column-mapping step: which column of the file feeds which field."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ristra.analytics.importspec import get_kind
from ristra.analytics.profiles import Profile, dump_profile, load_profile
from ristra.analytics.tabular import sniff
from ristra.analytics.validation import resolve_mapping
from ristra.people.models import ImportBatch

IGNORE = "ignore"


def _current_profile(batch: ImportBatch) -> Profile | None:
    text = batch.profile_yaml or (batch.profile.yaml if batch.profile else "")
    return load_profile(text) if text.strip() else None


def _headers(batch: ImportBatch, profile: Profile | None) -> list[str]:
    path = Path(batch.file.path)
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head[:4] == b"PK\x03\x04":
        head = path.read_bytes()
    info = sniff(
        head,
        filename=batch.filename,
        encoding=getattr(profile, "encoding", None),
        delimiter=getattr(profile, "delimiter", None),
    )
    return list(info.headers)


def mapping_rows(batch: ImportBatch) -> list[dict[str, Any]]:
    """One row per column of the file: its heading, the field it feeds, and how we know."""
    kind = get_kind(batch.kind)
    profile = _current_profile(batch)
    headers = _headers(batch, profile)
    resolved = resolve_mapping(headers, kind, profile)
    declared = dict(profile.columns) if profile else {}
    used = {header: fname for fname, header in resolved.fields.items()}
    rows = []
    for index, header in enumerate(headers):
        if header in used:
            how = "profile" if header in declared else "suggested"
            rows.append({"index": index, "header": header, "field": used[header], "how": how})
        else:
            how = "profile" if header in declared else "unmatched"
            rows.append({"index": index, "header": header, "field": IGNORE, "how": how})
    return rows


def profile_from_mapping(batch: ImportBatch, chosen: dict[str, str], *, name: str) -> str:
    """YAML for a profile mapping ``chosen`` columns, keeping the rest of the current profile."""
    kind = get_kind(batch.kind)
    columns = {header: (field or IGNORE) for header, field in chosen.items()}
    profile = _current_profile(batch)
    if profile is None:
        profile = load_profile(f"name: {name!r}\nkind: {kind.name}\ncolumns: {{}}\n")
    profile = dataclasses.replace(profile, name=name, columns=columns)
    return dump_profile(profile)
