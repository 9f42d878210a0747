"""Mapping profiles: how one office's export maps onto an import kind.

A profile is a small YAML document written once per export layout::

    name: HR faculty export (Workday)
    kind: faculty
    date_format: "%m/%d/%Y"        # or "iso", or a list of formats
    columns:                       # source heading -> canonical field, or "ignore"
      EMPLID: employee_id
      Notes: ignore
    values:                        # per field: raw value -> code (or list of codes)
      race:
        "Two or More Races": [black, white]
    defaults:                      # used when the column is missing or the cell empty
      program: MD
    delimiter: ";"                 # optional CSV options
    encoding: cp1252
    sheet: Sheet1                  # optional XLSX sheet

The YAML is read with every scalar as text (no YAML 1.1 surprises such as
``yes`` becoming ``True`` or ``01001`` becoming ``1001``).

This module also holds the built-in value crosswalk (common spellings such as
"Black or African American" -> ``black``) and header auto-suggestion.
"""

from __future__ import annotations

import codecs
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from ristra.analytics.importspec import DECLINED, KINDS, FieldSpec, ImportKind

IGNORE = "ignore"
ISO_FORMAT = "%Y-%m-%d"
SUPPORTED_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
_TOP_LEVEL_KEYS = (
    "name",
    "kind",
    "description",
    "date_format",
    "columns",
    "values",
    "defaults",
    "delimiter",
    "encoding",
    "sheet",
)
_FUZZY_CUTOFF = 0.85


class ProfileError(Exception):
    """A profile could not be loaded; ``messages`` lists every problem found."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))

    def __str__(self) -> str:
        return " ".join(self.messages)


@dataclass(frozen=True)
class Profile:
    """A validated mapping profile (see the module docstring for the YAML form)."""

    name: str
    kind: str
    columns: Mapping[str, str] = field(default_factory=dict)
    #: field -> raw spelling (as written) -> codes (one, or several for "codes" fields)
    values: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    #: strptime formats, tried in order ("iso" is stored as "%Y-%m-%d").
    date_formats: tuple[str, ...] = ()
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    description: str = ""


# ------------------------------------------------------------------------ normalising
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form of a label."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", bare).strip()


def _keys(text: str) -> tuple[str, ...]:
    norm = normalise(text)
    squashed = norm.replace(" ", "")
    return (norm, squashed) if squashed != norm else (norm,)


# --------------------------------------------------------------------- value crosswalk
_YES = ("yes", "y", "true", "t", "1")
_NO = ("no", "n", "false", "f", "0")
DECLINED_SPELLINGS = (
    "declined",
    "decline",
    "decline to state",
    "declined to state",
    "decline to answer",
    "declined to answer",
    "decline to identify",
    "prefer not to answer",
    "prefer not to say",
    "prefer not to disclose",
    "i prefer not to answer",
    "choose not to disclose",
    "chose not to disclose",
    "not disclosed",
    "did not disclose",
    "did not wish to disclose",
    "do not wish to disclose",
    "i do not wish to answer",
)

_RACE_COMMON: dict[str, tuple[str, ...]] = {
    "aian": (
        "american indian",
        "alaska native",
        "american indian or alaska native",
        "american indian alaska native",
        "american indian and alaska native",
        "native american",
        "native american or alaska native",
    ),
    "asian": ("asian", "asian american"),
    "black": (
        "black",
        "african american",
        "black or african american",
        "black african american",
        "black and african american",
    ),
    "nhpi": (
        "native hawaiian",
        "pacific islander",
        "native hawaiian or other pacific islander",
        "native hawaiian other pacific islander",
        "native hawaiian or pacific islander",
        "native hawaiian and other pacific islander",
    ),
    "white": ("white", "caucasian"),
}

_STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "AS": "American Samoa",
    "GU": "Guam", "MP": "Northern Mariana Islands", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands", "UM": "U.S. Minor Outlying Islands",
    "FM": "Federated States of Micronesia", "MH": "Marshall Islands", "PW": "Palau",
}  # fmt: skip

#: field name -> code -> spellings accepted without any profile.
BUILTIN_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "sex": {"female": ("f", "female"), "male": ("m", "male"), "intersex": ("intersex",)},
    "gender_identity": {
        "woman": ("woman", "w", "cisgender woman", "cis woman"),
        "man": ("man", "cisgender man", "cis man"),
        "nonbinary": ("non binary", "nonbinary", "genderqueer", "genderqueer non binary", "nb"),
        "transgender_woman": ("transgender woman", "trans woman", "transwoman"),
        "transgender_man": ("transgender man", "trans man", "transman"),
        "another": (
            "another",
            "another gender identity",
            "other",
            "self describe",
            "prefer to self describe",
            "not listed",
            "gender not listed",
            "two spirit",
        ),
    },
    "sexual_orientation": {
        "heterosexual": ("heterosexual", "straight", "heterosexual or straight"),
        "gay_or_lesbian": ("gay", "lesbian", "gay or lesbian", "gay lesbian", "homosexual"),
        "bisexual": ("bisexual", "bi"),
        "queer": ("queer",),
        "another": (
            "another",
            "other",
            "pansexual",
            "asexual",
            "not listed",
            "self describe",
            "prefer to self describe",
        ),
    },
    "hispanic": {
        "yes": (
            *_YES,
            "hispanic",
            "latino",
            "latina",
            "latinx",
            "latine",
            "hispanic latino",
            "hispanic or latino",
            "hispanic latino a",
            "hispanic latino a x",
            "hispanic latinx",
            "hispanic latine",
            "hispanic or latino a",
        ),
        "no": (
            *_NO,
            "not hispanic",
            "non hispanic",
            "not hispanic or latino",
            "not hispanic latino",
            "non hispanic latino",
            "not hispanic or latino a",
        ),
    },
    "race": dict(_RACE_COMMON),
    "race_ethnicity_2024": {
        **_RACE_COMMON,
        "hispanic": (
            "hispanic",
            "latino",
            "latina",
            "latinx",
            "hispanic or latino",
            "hispanic latino",
        ),
        "mena": (
            "mena",
            "middle eastern",
            "north african",
            "middle eastern or north african",
            "middle eastern north african",
        ),
    },
    "parental_education": {
        "less_than_high_school": (
            "less than high school",
            "some high school",
            "no high school diploma",
        ),
        "high_school": (
            "high school",
            "high school diploma",
            "ged",
            "high school diploma or ged",
            "high school graduate",
        ),
        "some_college": ("some college", "some college no degree"),
        "associate": ("associate", "associates", "associate degree", "associate s degree"),
        "bachelor": ("bachelor", "bachelors", "bachelor degree", "bachelor s degree"),
        "master": ("master", "masters", "master degree", "master s degree"),
        "doctorate": ("doctorate", "doctoral degree", "phd", "doctorate phd"),
        "professional": ("professional", "professional degree"),
    },
    "ses_group": {f"eo{i}": (f"eo{i}", f"eo {i}") for i in range(1, 6)},
    "state": {code: (code, name) for code, name in _STATE_NAMES.items()}
    | {
        "DC": ("DC", "District of Columbia", "Washington DC"),
        "VI": ("Virgin Islands", "U.S. Virgin Islands"),
    },
    "citizenship": {
        "us_citizen": ("us citizen", "u s citizen", "citizen", "united states citizen"),
        "permanent_resident": (
            "permanent resident",
            "lawful permanent resident",
            "green card",
            "us permanent resident",
            "lpr",
        ),
        "nonresident": (
            "nonresident",
            "non resident",
            "nonresident alien",
            "international",
            "foreign national",
            "visa holder",
        ),
    },
    "rank": {
        "instructor": ("instructor",),
        "assistant_professor": (
            "assistant professor",
            "asst prof",
            "asst professor",
            "assistant prof",
            "ast prof",
        ),
        "associate_professor": (
            "associate professor",
            "assoc prof",
            "assoc professor",
            "associate prof",
        ),
        "professor": ("professor", "prof", "full professor", "full prof"),
        "other": ("other",),
    },
    "track": {
        "tenure_track": ("tenure track", "tenure"),
        "clinician_educator": ("clinician educator", "clinician educator track"),
        "research": ("research", "research track"),
        "clinical": ("clinical", "clinical track"),
    },
    "tenure": {
        "tenured": ("tenured",),
        "on_track": ("on track", "on tenure track", "tenure track"),
        "not_on_track": ("not on track", "not on tenure track", "non tenure track", "ntt"),
    },
    "separation_reason": {
        "retirement": ("retirement", "retired", "retire"),
        "resignation": ("resignation", "resigned", "voluntary resignation"),
        "non_renewal": ("non renewal", "not renewed", "contract not renewed"),
        "dismissal": ("dismissal", "dismissed", "involuntary termination"),
        "death": ("death", "deceased", "died"),
    },
    "round": {
        "early_decision": ("early decision", "edp", "ed", "early decision program"),
        "regular": ("regular", "regular decision", "rd"),
    },
    "offer_outcome": {
        "accepted": ("accepted", "accept"),
        "declined": ("declined", "decline", "declined offer"),
        "withdrawn": ("withdrawn", "withdrew", "withdraw"),
        "pending": ("pending",),
        "none": ("none", "no offer"),
    },
    "status": {
        "enrolled": ("enrolled", "active", "current"),
        "leave_of_absence": ("leave of absence", "loa", "on leave"),
        "withdrawn": ("withdrawn", "withdrew"),
        "dismissed": ("dismissed",),
        "graduated": ("graduated", "graduate"),
    },
    "position": {"resident": ("resident", "residency"), "fellow": ("fellow", "fellowship")},
    "completion_status": {
        "completed": ("completed", "complete", "graduated"),
        "withdrew": ("withdrew", "withdrawn", "resigned"),
        "dismissed": ("dismissed", "terminated"),
        "transferred": ("transferred", "transfer"),
        "in_progress": ("in progress", "active", "current"),
    },
}

_YES_NO_BUILTIN: dict[str, tuple[str, ...]] = {"yes": _YES, "no": _NO}
BOOL_CODES = ("yes", "no")

ValueTable = dict[str, tuple[str, ...]]


def accepts_declined(spec: FieldSpec) -> bool:
    return spec.target == "selfid" and DECLINED in spec.vocabulary


def field_codes(spec: FieldSpec) -> tuple[str, ...]:
    """The codes a field's cells may map to (yes/no for booleans)."""
    return BOOL_CODES if spec.type == "bool" else spec.vocabulary


def _add(table: ValueTable, spelling: str, codes: tuple[str, ...], *, override: bool) -> None:
    for key in _keys(spelling):
        if key and (override or key not in table):
            table[key] = codes


def build_value_table(spec: FieldSpec, profile: Profile | None = None) -> ValueTable:
    """Normalised spelling -> codes for a code/codes/bool field.

    Priority: the profile's ``values``, then the codes themselves, then the
    built-in crosswalk.  Only spellings of this very field are included.
    """
    table: ValueTable = {}
    if profile is not None:
        for raw, codes in profile.values.get(spec.name, {}).items():
            _add(table, raw, codes, override=True)
    for code in field_codes(spec):
        _add(table, code, (code,), override=False)
    builtin = BUILTIN_VALUES.get(spec.name)
    if builtin is None and (spec.type == "bool" or set(spec.vocabulary) >= {"yes", "no"}):
        builtin = _YES_NO_BUILTIN
    for code, spellings in (builtin or {}).items():
        for spelling in spellings:
            _add(table, spelling, (code,), override=False)
    if accepts_declined(spec):
        for spelling in DECLINED_SPELLINGS:
            _add(table, spelling, (DECLINED,), override=False)
    return table


def lookup_value(table: ValueTable, raw: str) -> tuple[str, ...] | None:
    for key in _keys(raw):
        found = table.get(key)
        if found is not None:
            return found
    return None


# ----------------------------------------------------------------------- suggestions
def _field_keys(spec: FieldSpec) -> list[str]:
    keys: list[str] = []
    for text in (spec.name, spec.label, *spec.synonyms):
        for key in _keys(text):
            if key and key not in keys:
                keys.append(key)
    return keys


def suggest_mapping(headers: Sequence[str], kind: ImportKind) -> dict[str, str | None]:
    """Suggest a canonical field for each heading (None = no confident match).

    Exact matches on the normalised field name, label or a synonym come first
    (in heading order); remaining headings of at least five characters are
    then matched fuzzily (difflib ratio >= 0.85), best pairs first.  No field
    is suggested twice.
    """
    result: dict[str, str | None] = {h: None for h in headers if h != "__row__"}
    taken: set[str] = set()
    index: dict[str, str] = {}
    for spec in kind.fields:
        for key in _field_keys(spec):
            index.setdefault(key, spec.name)
    for header in result:
        for key in _keys(header):
            target = index.get(key)
            if target is not None and target not in taken:
                result[header] = target
                taken.add(target)
                break
    candidates: list[tuple[float, int, str, str]] = []
    for position, header in enumerate(result):
        if result[header] is not None:
            continue
        norm = normalise(header)
        if len(norm) < 5:  # short labels give high ratios by chance ("Rnk" ~ "rank")
            continue
        for spec in kind.fields:
            if spec.name in taken:
                continue
            best = max(
                difflib.SequenceMatcher(None, norm, key).ratio() for key in _field_keys(spec)
            )
            if best >= _FUZZY_CUTOFF:
                candidates.append((best, -position, header, spec.name))
    for _score, _pos, header, target in sorted(candidates, reverse=True):
        if result[header] is None and target not in taken:
            result[header] = target
            taken.add(target)
    return result


# ---------------------------------------------------------------------- date formats
_DIRECTIVE_RE = re.compile(r"%(.)")
_ALLOWED_DIRECTIVES = set("YymdbBeaAHIMSpf%")


def check_date_format(fmt: str) -> str | None:
    """Return None if ``fmt`` is a usable strptime date format, else the reason."""
    directives = _DIRECTIVE_RE.findall(fmt)
    if fmt.count("%") != len(directives) + fmt.count("%%"):
        return "it ends with a lone '%'"
    unknown = sorted({d for d in directives if d not in _ALLOWED_DIRECTIVES})
    if unknown:
        return "it uses unsupported directives " + ", ".join(f"%{d}" for d in unknown)
    present = set(directives)
    missing = []
    if not present & {"Y", "y"}:
        missing.append("a year (%Y)")
    if not present & {"m", "b", "B"}:
        missing.append("a month (%m)")
    if not present & {"d", "e"}:
        missing.append("a day (%d)")
    if missing:
        return "it has no " + " or ".join(missing)
    return None


# ---------------------------------------------------------------------------- loading
def _closest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" near line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProfileError(
            [
                f"The profile is not valid YAML{where}. Check the indentation there and put"
                " quotation marks around values that contain ':', '#', '%' or start with a"
                " special character."
            ]
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, UnicodeError, TypeError):
        raise ProfileError(
            ["The profile is not valid YAML. Check the indentation and quotation marks."]
        ) from None


def load_profile(text: str) -> Profile:
    """Parse and validate a YAML profile; raise :class:`ProfileError` listing all problems."""
    data = _parse_yaml(text)
    if data is None or data == "":
        raise ProfileError(["The profile is empty; it needs at least 'name' and 'kind'."])
    if not isinstance(data, dict):
        raise ProfileError(
            ["A profile must be a set of 'key: value' lines (name, kind, columns, ...)."]
        )
    errors: list[str] = []
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            errors.append(
                f"'{key}' is not a profile setting.{_closest(str(key), _TOP_LEVEL_KEYS)} Valid"
                f" settings are: {', '.join(_TOP_LEVEL_KEYS)}."
            )

    def text_setting(key: str, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                errors.append(f"The profile has no '{key}'; add a line '{key}: ...'.")
            return None
        if not isinstance(value, str):
            errors.append(f"The profile's '{key}' must be a single value, not {_describe(value)}.")
            return None
        value = value.strip()
        if required and not value:
            errors.append(f"The profile's '{key}' is empty.")
        return value

    name = text_setting("name", required=True) or ""
    kind_name = text_setting("kind", required=True)
    description = text_setting("description") or ""
    kind: ImportKind | None = None
    if kind_name:
        kind = KINDS.get(kind_name)
        if kind is None:
            errors.append(
                f"'{kind_name}' is not an import kind.{_closest(kind_name, sorted(KINDS))} Valid"
                f" kinds are: {', '.join(sorted(KINDS))}."
            )

    date_formats = _load_date_formats(data.get("date_format"), errors)
    delimiter = _load_delimiter(text_setting("delimiter"), errors)
    encoding = text_setting("encoding") or None
    if encoding:
        try:
            codecs.lookup(encoding)
        except (LookupError, ValueError):  # ValueError: a NUL character in the name
            errors.append(
                f"The encoding '{encoding}' is not known; use for example utf-8 or cp1252."
            )
    sheet = text_setting("sheet") or None

    columns: dict[str, str] = {}
    values: dict[str, dict[str, tuple[str, ...]]] = {}
    defaults: dict[str, str] = {}
    if kind is not None:
        columns = _load_columns(data.get("columns"), kind, errors)
        values = _load_values(data.get("values"), kind, errors)
        defaults = _load_defaults(data.get("defaults"), kind, values, errors)
    if errors:
        raise ProfileError(errors)
    return Profile(
        name=name,
        kind=kind_name or "",
        columns=columns,
        values=values,
        defaults=defaults,
        date_formats=date_formats,
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet,
        description=description,
    )


def _load_date_formats(raw: Any, errors: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    formats: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            errors.append(
                f"date_format must be a format such as '%m/%d/%Y' or 'iso', not {_describe(item)}."
            )
            continue
        fmt = item.strip()
        if fmt.lower() == "iso":
            fmt = ISO_FORMAT
        reason = check_date_format(fmt)
        if reason:
            errors.append(
                f"The date_format '{item}' cannot be used: {reason}. Write it like '%m/%d/%Y'"
                " (month/day/year), '%d.%m.%Y' or 'iso'."
            )
        elif fmt not in formats:
            formats.append(fmt)
    return tuple(formats)


def _load_delimiter(raw: str | None, errors: list[str]) -> str | None:
    if raw is None or raw == "":
        return None
    delimiter = _DELIMITER_WORDS.get(raw.lower(), raw)
    if delimiter not in SUPPORTED_DELIMITERS:
        errors.append(f"The delimiter '{raw}' is not supported; use ',', ';', '|' or 'tab'.")
        return None
    return delimiter


def _field_error(name: str, kind: ImportKind, where: str) -> str:
    return (
        f"{where}: '{name}' is not a field of the {kind.name} import."
        f"{_closest(name, kind.field_names)}"
    )


def _load_columns(raw: Any, kind: ImportKind, errors: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append("'columns' must list 'Source heading: field' lines.")
        return {}
    columns: dict[str, str] = {}
    by_field: dict[str, str] = {}
    for source, target in raw.items():
        source_name = str(source).strip()
        if not isinstance(target, str):
            errors.append(
                f"Column '{source_name}' must map to one field name (or 'ignore'), not"
                f" {_describe(target)}."
            )
            continue
        target = target.strip()
        if target.lower() == IGNORE:
            columns[source_name] = IGNORE
            continue
        if not kind.has_field(target):
            errors.append(_field_error(target, kind, f"Column '{source_name}'"))
            continue
        if target in by_field:
            errors.append(
                f"Columns '{by_field[target]}' and '{source_name}' are both mapped to {target};"
                " map only one of them (set the other to 'ignore')."
            )
            continue
        by_field[target] = source_name
        columns[source_name] = target
    return columns


def _load_values(
    raw: Any, kind: ImportKind, errors: list[str]
) -> dict[str, dict[str, tuple[str, ...]]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append("'values' must list fields, each with 'raw value: code' lines.")
        return {}
    values: dict[str, dict[str, tuple[str, ...]]] = {}
    for field_name, mapping in raw.items():
        if not kind.has_field(field_name):
            errors.append(_field_error(field_name, kind, "values"))
            continue
        spec = kind.field(field_name)
        if spec.type not in ("code", "codes", "bool"):
            errors.append(
                f"values: '{field_name}' is free {spec.type}, not a list of codes, so its values"
                " cannot be translated."
            )
            continue
        if not isinstance(mapping, dict):
            errors.append(f"values: '{field_name}' must list 'raw value: code' lines.")
            continue
        allowed = field_codes(spec)
        entries: dict[str, tuple[str, ...]] = {}
        for raw_value, target in mapping.items():
            codes = _load_codes(target, spec, str(raw_value), allowed, errors)
            if codes is not None:
                entries[str(raw_value)] = codes
        values[field_name] = entries
    return values


def _load_codes(
    target: Any, spec: FieldSpec, raw_value: str, allowed: tuple[str, ...], errors: list[str]
) -> tuple[str, ...] | None:
    where = f"values: {spec.name}: '{raw_value}'"
    if isinstance(target, list):
        if spec.type != "codes":
            errors.append(f"{where} maps to several codes, but {spec.name} holds a single answer.")
            return None
        items = target
    else:
        items = [target]
    codes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            errors.append(f"{where} must map to a code, not {_describe(item)}.")
            return None
        code = item.strip()
        if spec.type == "bool":
            code = {"true": "yes", "false": "no"}.get(code.lower(), code.lower())
        elif spec.name == "state":
            code = code.upper() if code.lower() != DECLINED else DECLINED
        if code not in allowed:
            errors.append(
                f"{where} maps to '{code}', which is not a code for {spec.name}; use one of"
                f" {', '.join(allowed)}."
            )
            return None
        if code not in codes:
            codes.append(code)
    if not codes:
        errors.append(f"{where} maps to an empty list.")
        return None
    return tuple(codes)


def _load_defaults(
    raw: Any,
    kind: ImportKind,
    values: Mapping[str, Mapping[str, tuple[str, ...]]],
    errors: list[str],
) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append("'defaults' must list 'field: value' lines.")
        return {}
    defaults: dict[str, str] = {}
    for field_name, value in raw.items():
        if not kind.has_field(field_name):
            errors.append(_field_error(field_name, kind, "defaults"))
            continue
        if not isinstance(value, str) or not value.strip():
            errors.append(f"defaults: '{field_name}' must be a single, non-empty value.")
            continue
        spec = kind.field(field_name)
        if spec.type in ("code", "codes", "bool"):
            probe = Profile(name="", kind=kind.name, values=values)
            table = build_value_table(spec, probe)
            if lookup_value(table, value) is None:
                errors.append(
                    f"defaults: '{value}' is not a known value for {field_name}; use one of"
                    f" {', '.join(field_codes(spec))}."
                )
                continue
        defaults[field_name] = value.strip()
    return defaults


# ---------------------------------------------------------------------------- dumping
def profile_to_dict(profile: Profile) -> dict[str, Any]:
    data: dict[str, Any] = {"name": profile.name, "kind": profile.kind}
    if profile.description:
        data["description"] = profile.description
    if profile.date_formats:
        formats = ["iso" if f == ISO_FORMAT else f for f in profile.date_formats]
        data["date_format"] = formats[0] if len(formats) == 1 else formats
    if profile.delimiter:
        data["delimiter"] = "tab" if profile.delimiter == "\t" else profile.delimiter
    if profile.encoding:
        data["encoding"] = profile.encoding
    if profile.sheet:
        data["sheet"] = profile.sheet
    if profile.columns:
        data["columns"] = dict(profile.columns)
    if profile.values:
        data["values"] = {
            name: {raw: codes[0] if len(codes) == 1 else list(codes) for raw, codes in m.items()}
            for name, m in profile.values.items()
        }
    if profile.defaults:
        data["defaults"] = dict(profile.defaults)
    return data


def dump_profile(profile: Profile) -> str:
    """YAML text that :func:`load_profile` reads back into an equal profile."""
    return yaml.safe_dump(
        profile_to_dict(profile), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
