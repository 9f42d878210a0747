"""The instrument builder's edits: plain operations on the instrument *document* (the data
``instrument_document`` returns and ``instrument_load`` reads), so the builder and the
YAML editor share one source of truth. Every edit is saved through
``services.survey_set_instrument``: the same parser and the same breaking-change rule.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from django.utils.translation import gettext as _

from ristra.analytics.surveys import InstrumentError, instrument_document
from ristra.surveys import services
from ristra.surveys.models import Survey

Document = dict[str, Any]


def document_of(survey: Survey) -> Document:
    """The survey's instrument as plain data, keeping its free-text ``description`` (which
    the parsed instrument does not hold). YAML comments are not kept."""
    document = instrument_document(survey.instrument)
    try:
        raw = yaml.safe_load(survey.instrument_text)  # JSON is YAML too
    except yaml.YAMLError:
        raw = None
    if isinstance(raw, dict) and isinstance(raw.get("description"), str):
        document = {
            **{k: document[k] for k in ("key", "title", "version")},
            "description": raw["description"],
            **{k: v for k, v in document.items() if k not in ("key", "title", "version")},
        }
    return document


def document_text(document: Document, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def document_save(*, survey: Survey, document: Document) -> list[str]:
    """Save ``document`` as the survey's instrument; the problems found (empty: saved)."""
    _prune(document)
    fmt = survey.instrument_format or "yaml"
    try:
        services.survey_set_instrument(survey=survey, text=document_text(document, fmt), fmt=fmt)
    except InstrumentError as error:
        return list(error.messages)
    except services.InstrumentChangeRefused as refused:
        return [
            str(_("Responses exist, so this change would break them:")),
            *refused.problems,
        ]
    except services.SubmissionRefused as refused:
        return [str(refused)]
    return []


def find_item(document: Document, key: str) -> tuple[int, int] | None:
    for s, section in enumerate(document["sections"]):
        for i, item in enumerate(section["items"]):
            if item["key"] == key:
                return s, i
    return None


def item_move(document: Document, key: str, step: int) -> bool:
    """Move an item one place up (-1) or down (+1); past a section's edge it moves into
    the neighbouring section. False when it cannot move further."""
    where = find_item(document, key)
    if where is None:
        return False
    s, i = where
    sections = document["sections"]
    items = sections[s]["items"]
    target = i + step
    if 0 <= target < len(items):
        items[i], items[target] = items[target], items[i]
        return True
    neighbour = s + step
    if not 0 <= neighbour < len(sections):
        return False
    moved = items.pop(i)
    if step < 0:
        sections[neighbour]["items"].append(moved)
    else:
        sections[neighbour]["items"].insert(0, moved)
    return True


def item_remove(document: Document, key: str) -> bool:
    where = find_item(document, key)
    if where is None:
        return False
    s, i = where
    del document["sections"][s]["items"][i]
    return True


def item_put(
    document: Document,
    *,
    old_key: str | None,
    item: dict[str, Any],
    section: int | None,
    new_section_title: str = "",
) -> None:
    """Replace the item ``old_key`` in place, or add ``item`` at the end of ``section``
    (a new section at the end when ``section`` is None)."""
    if old_key is not None:
        where = find_item(document, old_key)
        if where is not None:
            s, i = where
            document["sections"][s]["items"][i] = item
            return
    if section is None or not 0 <= section < len(document["sections"]):
        document["sections"].append({"title": new_section_title, "items": [item]})
    else:
        document["sections"][section]["items"].append(item)


def section_remove(document: Document, index: int) -> bool:
    if not 0 <= index < len(document["sections"]):
        return False
    del document["sections"][index]
    return True


def left_empty(document: Document, keys: set[str]) -> tuple[list[str], list[str]]:
    """The factors and clusters that removing the items ``keys`` would leave empty (saving
    drops them with the items), in the instrument's order."""
    items = [item for section in document["sections"] for item in section["items"]]
    kept = {item.get("factor") for item in items if item["key"] not in keys}
    losing = {item.get("factor") for item in items if item["key"] in keys}
    factors = [k for k in document["factors"] if k in losing and k not in kept]
    kept_clusters = {
        factor.get("cluster") for k, factor in document["factors"].items() if k not in factors
    }
    clusters = [
        k
        for k in document["clusters"]
        if k not in kept_clusters
        and any(document["factors"][f].get("cluster") == k for f in factors)
    ]
    return factors, clusters


def section_move(document: Document, index: int, step: int) -> bool:
    sections = document["sections"]
    target = index + step
    if not (0 <= index < len(sections) and 0 <= target < len(sections)):
        return False
    sections[index], sections[target] = sections[target], sections[index]
    return True


def _prune(document: Document) -> None:
    """Drop empty sections, factors without items and clusters without factors (left
    behind by a removal), so that removing the last item of a factor is one step."""
    document["sections"] = [s for s in document["sections"] if s["items"]]
    used_factors = {
        item.get("factor")
        for s in document["sections"]
        for item in s["items"]
        if item.get("factor")
    }
    document["factors"] = {k: v for k, v in document["factors"].items() if k in used_factors}
    used_clusters = {f.get("cluster") for f in document["factors"].values() if f.get("cluster")}
    document["clusters"] = {k: v for k, v in document["clusters"].items() if k in used_clusters}
