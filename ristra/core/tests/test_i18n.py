"""Every interface string has a Spanish translation, and the compiled catalogue is current."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "ristra" / "locale" / "es" / "LC_MESSAGES"


def entries() -> list[tuple[str, str, bool]]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    out = []
    for block in text.split("\n\n"):
        fuzzy = "#, fuzzy" in block
        ids = re.findall(r'^msgid ((?:".*"\n?)+)', block, flags=re.M)
        strs = re.findall(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, flags=re.M)
        if ids and strs:
            join = lambda parts: "".join(re.findall(r'"(.*)"', parts))  # noqa: E731
            out.append((join(ids[0]), join(strs[0]), fuzzy))
    return [e for e in out if e[0]]


def test_every_string_is_translated_to_spanish() -> None:
    missing = [msgid for msgid, msgstr, fuzzy in entries() if not msgstr or fuzzy]
    assert missing == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for msgid, msgstr, _fuzzy in entries():
        if "\\" in msgid or "%" in msgid:
            continue
        assert catalogue.gettext(msgid) == msgstr, msgid
