"""Survey instruments and their scoring: plain data in, plain frames out (no Django).

An *instrument* is configuration, not code: its response scales, its items (Likert,
choice, multiple choice, free text, demographic), the item -> factor -> cluster mapping,
reverse-coded items and what counts as *favourable* all come from a YAML (or JSON) file.
A school can therefore load a licensed instrument under its own agreement without any
code change; Ristra ships only an original example (``data/inclusion_climate_example.yaml``).
The file format is documented in ``docs/survey-instruments.md``.

Scoring (:func:`score`) works on a frame with one row per response and one column per
item key (the raw scale values for Likert items), plus demographic columns to group by:

* **reverse coding** maps a value to its mirror position on the scale (1 <-> 5 on 1-5);
  *favourable* is judged after reverse coding, so agreeing with a negatively worded item
  is unfavourable;
* values outside the scale count as missing (:func:`check_scale` names them);
* an **item** score is the mean of its answers; *percent favourable* is the share of
  answers in the favourable set, with a Wilson 95% interval;
* a **factor** (or **cluster**) score first averages each respondent's answered items of
  that factor (or cluster), then averages respondents: everyone weighs the same however
  many items they answered.  Percent favourable likewise averages each respondent's share
  of favourable answers; its 95% interval is a t interval over respondents (clipped to
  0-1), which accounts for the items of one respondent being correlated.

All outputs are raw and unsuppressed: the app publishes them through the suppression
layer (``ristra/reports/published.py``) with the survey's minimum group size.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import numpy as np
import polars as pl
import yaml
from numpy.typing import NDArray
from scipy import sparse, special
from threadpoolctl import ThreadpoolController

ITEM_KINDS: Final = ("likert", "choice", "multi", "text", "demographic")
LEVELS: Final = ("item", "factor", "cluster")
EXAMPLE_INSTRUMENT: Final = "inclusion_climate_example.yaml"
KEY_PATTERN: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
Z95: Final = 1.959963984540054

# The arrays here are thin (respondents x a few dozen targets): one BLAS thread is about
# twice as fast as several contending for a shared machine's cores (measured).
_THREADS: Final = ThreadpoolController()

#: The statistic columns of a :func:`score` frame; every other column is a group column.
SCORE_COLUMNS: Final = (
    "level",
    "key",
    "n",
    "answers",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "pct_favourable",
    "pct_ci_low",
    "pct_ci_high",
)


class InstrumentError(ValueError):
    """An instrument file is invalid; the message names the item, factor or line at fault.

    ``messages`` lists every problem found (the file is checked as a whole).
    """

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))

    def __str__(self) -> str:
        return " ".join(self.messages)


@dataclass(frozen=True)
class Scale:
    """A response scale: ``labels[i]`` is stored as ``values[i]``; ``favourable`` values."""

    key: str
    labels: tuple[str, ...]
    values: tuple[int, ...]
    favourable: frozenset[int]

    def reverse_map(self) -> dict[int, int]:
        """Each value -> its mirror position on the scale (first <-> last)."""
        return dict(zip(self.values, reversed(self.values), strict=True))

    def describe(self) -> str:
        return f"{self.key} ({', '.join(f'{v} = {lab}' for v, lab in self.pairs())})"

    def pairs(self) -> tuple[tuple[int, str], ...]:
        return tuple(zip(self.values, self.labels, strict=True))


@dataclass(frozen=True)
class Item:
    """One question.  ``kind``: likert | choice | multi | text | demographic."""

    key: str
    text: str
    kind: str
    scale: str | None = None
    reverse: bool = False
    factor: str | None = None
    options: tuple[str, ...] = ()
    category: str | None = None  # demographic items may reuse a school category key


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    cluster: str | None = None


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    version: str
    scales: dict[str, Scale]
    items: tuple[Item, ...]
    factors: dict[str, Factor]
    clusters: dict[str, str]  # cluster key -> label
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (title, item keys)

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def items_of_kind(self, *kinds: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.kind in kinds)

    @property
    def likert_items(self) -> tuple[Item, ...]:
        return self.items_of_kind("likert")

    def factor_items(self, factor: str) -> tuple[Item, ...]:
        return tuple(item for item in self.likert_items if item.factor == factor)

    def cluster_items(self, cluster: str) -> tuple[Item, ...]:
        factors = {key for key, f in self.factors.items() if f.cluster == cluster}
        return tuple(item for item in self.likert_items if item.factor in factors)

    def scale_of(self, item: Item) -> Scale:
        if item.scale is None:
            raise KeyError(f"item {item.key!r} has no scale")
        return self.scales[item.scale]


# ----------------------------------------------------------------------------- loading


class _Map(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on."""

    line: int | None = None


class _Loader(yaml.SafeLoader):
    """YAML with every scalar read as text (no ``No`` -> False surprises) and line marks."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be text", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_scalar(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _tag in (
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
):
    _Loader.add_constructor(_tag, _construct_scalar)


def _at(node: object) -> str:
    line = getattr(node, "line", None)
    return f" (line {line})" if line else ""


class _Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, message: str) -> None:
        self.problems.append(message)

    def text(self, value: object, where: str, *, required: bool = True) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(f"{where}: is required.")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(f"{where}: should be text, not {_kind_name(value)}.")
            return ""
        return str(value).strip()

    def key(self, value: object, where: str) -> str:
        text = self.text(value, where)
        if text and not KEY_PATTERN.match(text):
            self.add(
                f"{where}: key {text!r} should start with a letter and hold only letters, "
                "digits and underscores (at most 63 characters)."
            )
        return text

    def integer(self, value: object, where: str) -> int | None:
        if isinstance(value, bool):
            self.add(f"{where}: {value!r} is not a whole number.")
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
            return int(value)
        self.add(f"{where}: {value!r} is not a whole number.")
        return None

    def boolean(self, value: object, where: str) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "yes", "on", "1"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {"false", "no", "off", "0", ""}:
            return False
        self.add(f"{where}: {value!r} should be true or false.")
        return False

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(f"{where}: should be a mapping (key: value lines), not {_kind_name(value)}.")
            return {}
        return value

    def sequence(self, value: object, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(f"{where}: should be a list, not {_kind_name(value)}.")
            return []
        return value

    def unknown_keys(self, node: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        extra = sorted(set(node) - set(allowed))
        if extra:
            self.add(
                f"{where}: unknown field{'s' if len(extra) > 1 else ''} {', '.join(extra)} "
                f"(allowed: {', '.join(allowed)})."
            )


def _kind_name(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{value!r}"


_TOP_KEYS: Final = ("key", "title", "version", "description", "scales", "clusters")
_TOP_KEYS_ALL: Final = (*_TOP_KEYS, "factors", "sections")
_ITEM_KEYS: Final = ("key", "text", "kind", "scale", "reverse", "factor", "options", "category")


def _parse_document(text: str, fmt: str) -> object:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise InstrumentError(
                [f"The instrument file is not valid JSON: {error.msg} (line {error.lineno})."]
            ) from None
    if fmt != "yaml":
        raise InstrumentError([f"Unknown instrument format {fmt!r}: use 'yaml' or 'json'."])
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InstrumentError(
            [f"The instrument file is not valid YAML: {error.problem or error}{where}."]
        ) from None
    except yaml.YAMLError as error:
        raise InstrumentError([f"The instrument file is not valid YAML: {error}."]) from None


def _load_scales(check: _Checker, node: object) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    for raw_key, spec in check.mapping(node, "scales").items():
        key = check.key(raw_key, f"scale {raw_key!r}")
        where = f"scale {raw_key!r}{_at(spec)}"
        body = check.mapping(spec, where)
        check.unknown_keys(body, ("labels", "values", "favourable"), where)
        labels = tuple(
            check.text(v, f"{where}: label {i + 1}")
            for i, v in enumerate(check.sequence(body.get("labels"), f"{where}: labels"))
        )
        raw_values = body.get("values")
        if raw_values is None:
            values: tuple[int | None, ...] = tuple(range(1, len(labels) + 1))
        else:
            values = tuple(
                check.integer(v, f"{where}: value {i + 1}")
                for i, v in enumerate(check.sequence(raw_values, f"{where}: values"))
            )
        favourable = tuple(
            check.integer(v, f"{where}: favourable value")
            for v in check.sequence(body.get("favourable"), f"{where}: favourable")
        )
        problems_before = len(check.problems)
        if len(labels) < 2:
            check.add(f"{where}: needs at least two labels.")
        if len(values) != len(labels):
            check.add(f"{where}: has {len(labels)} labels but {len(values)} values.")
        clean = tuple(v for v in values if v is not None)
        if len(set(clean)) != len(clean):
            check.add(f"{where}: values repeat ({', '.join(map(str, clean))}).")
        folded = [lab.casefold() for lab in labels]
        if len(set(folded)) != len(folded):
            check.add(f"{where}: labels repeat.")
        if not favourable:
            check.add(f"{where}: says which values are favourable (for example [4, 5]).")
        outside = sorted({v for v in favourable if v is not None and v not in clean})
        if outside:
            check.add(
                f"{where}: favourable value{'s' if len(outside) > 1 else ''} "
                f"{', '.join(map(str, outside))} not on the scale ({', '.join(map(str, clean))})."
            )
        if len(check.problems) == problems_before and key:
            scales[key] = Scale(
                key=key,
                labels=labels,
                values=tuple(v for v in values if v is not None),
                favourable=frozenset(v for v in favourable if v is not None),
            )
    return scales


def _load_item(check: _Checker, node: object, position: str) -> Item | None:
    body = check.mapping(node, position)
    if not body:
        if node is not None and not isinstance(node, dict):
            return None
        check.add(f"{position}: is empty.")
        return None
    raw_key = body.get("key")
    where = f"item {raw_key!r}{_at(node)}" if raw_key else f"{position}{_at(node)}"
    check.unknown_keys(body, _ITEM_KEYS, where)
    key = check.key(raw_key, where)
    kind = check.text(body.get("kind", "likert"), f"{where}: kind").lower()
    if kind and kind not in ITEM_KINDS:
        check.add(f"{where}: kind {kind!r} is not one of {', '.join(ITEM_KINDS)}.")
    text = check.text(body.get("text"), f"{where}: text")
    scale = check.text(body.get("scale"), f"{where}: scale", required=False) or None
    factor = check.text(body.get("factor"), f"{where}: factor", required=False) or None
    category = check.text(body.get("category"), f"{where}: category", required=False) or None
    reverse = check.boolean(body.get("reverse"), f"{where}: reverse")
    options = tuple(
        check.text(v, f"{where}: option {i + 1}")
        for i, v in enumerate(check.sequence(body.get("options"), f"{where}: options"))
    )
    if kind == "likert":
        if scale is None:
            check.add(f"{where}: a likert item needs a scale.")
        if options:
            check.add(f"{where}: a likert item takes its answers from its scale, not options.")
    else:
        for name, value in (("scale", scale), ("factor", factor)):
            if value is not None:
                check.add(f"{where}: only likert items have a {name} ({kind} item).")
        if reverse:
            check.add(f"{where}: only likert items can be reverse-coded ({kind} item).")
    if kind in ("choice", "multi") and not options:
        check.add(f"{where}: a {kind} item needs options.")
    if kind == "demographic" and not options and category is None:
        check.add(f"{where}: a demographic item needs options or a school category.")
    if category is not None and kind != "demographic":
        check.add(f"{where}: only demographic items reuse a school category.")
    if len({o.casefold() for o in options}) != len(options):
        check.add(f"{where}: options repeat.")
    if not key or kind not in ITEM_KINDS:
        return None
    return Item(
        key=key,
        text=text,
        kind=kind,
        scale=scale,
        reverse=reverse,
        factor=factor,
        options=options,
        category=category,
    )


def _build(document: object) -> Instrument:
    check = _Checker()
    if not isinstance(document, dict):
        raise InstrumentError(
            [
                "The instrument file should be a mapping with key, title, scales, factors "
                f"and sections; found {_kind_name(document)}."
            ]
        )
    check.unknown_keys(document, _TOP_KEYS_ALL, "instrument")
    key = check.key(document.get("key"), "instrument key")
    title = check.text(document.get("title"), "instrument title")
    version = check.text(document.get("version", "1"), "instrument version")
    scales = _load_scales(check, document.get("scales"))
    clusters: dict[str, str] = {}
    for raw_key, label in check.mapping(document.get("clusters"), "clusters").items():
        where = f"cluster {raw_key!r}{_at(document.get('clusters'))}"
        ckey = check.key(raw_key, where)
        if isinstance(label, dict):
            check.unknown_keys(label, ("label",), where)
            label = label.get("label")
        clusters[ckey] = check.text(label, f"{where}: label")
    factors: dict[str, Factor] = {}
    factor_lines: dict[str, str] = {}
    for raw_key, spec in check.mapping(document.get("factors"), "factors").items():
        where = f"factor {raw_key!r}{_at(spec)}"
        fkey = check.key(raw_key, where)
        if isinstance(spec, str):
            spec = {"label": spec}
        body = check.mapping(spec, where)
        check.unknown_keys(body, ("label", "cluster"), where)
        cluster = check.text(body.get("cluster"), f"{where}: cluster", required=False) or None
        if cluster is not None and cluster not in clusters:
            check.add(f"{where}: cluster {cluster!r} is not defined{_choices(clusters)}.")
        factors[fkey] = Factor(fkey, check.text(body.get("label"), f"{where}: label"), cluster)
        factor_lines[fkey] = _at(spec)

    items: list[Item] = []
    item_lines: list[str] = []
    sections: list[tuple[str, tuple[str, ...]]] = []
    raw_sections = check.sequence(document.get("sections"), "sections")
    if not raw_sections:
        check.add("sections: the instrument needs at least one section with items.")
    for s, section in enumerate(raw_sections, start=1):
        where = f"section {s}{_at(section)}"
        body = check.mapping(section, where)
        check.unknown_keys(body, ("title", "items"), where)
        title_s = check.text(body.get("title"), f"{where}: title", required=False)
        keys: list[str] = []
        raw_items = check.sequence(body.get("items"), f"{where}: items")
        if not raw_items:
            check.add(f"{where}: has no items.")
        for i, raw in enumerate(raw_items, start=1):
            item = _load_item(check, raw, f"{where}, item {i}")
            if item is not None:
                items.append(item)
                item_lines.append(_at(raw))
                keys.append(item.key)
        sections.append((title_s, tuple(keys)))

    seen: set[str] = set()
    for item, line in zip(items, item_lines, strict=True):
        where = f"item {item.key!r}{line}"
        if item.key in seen:
            check.add(f"{where}: the key is used twice; item keys must be unique.")
        seen.add(item.key)
        if item.scale is not None and item.scale not in scales:
            check.add(f"{where}: scale {item.scale!r} is not defined{_choices(scales)}.")
        if item.factor is not None and item.factor not in factors:
            check.add(f"{where}: factor {item.factor!r} is not defined{_choices(factors)}.")
    for fkey in factors:
        members = [i for i in items if i.factor == fkey]
        if not members:
            check.add(f"factor {fkey!r}{factor_lines[fkey]}: has no items.")
        used = sorted({i.scale for i in members if i.scale is not None})
        if len(used) > 1:
            check.add(
                f"factor {fkey!r}{factor_lines[fkey]}: mixes scales {', '.join(used)}; "
                "use one scale per factor."
            )
    for ckey in clusters:
        if not any(f.cluster == ckey for f in factors.values()):
            check.add(f"cluster {ckey!r}: has no factors.")
    if not any(i.kind == "likert" for i in items) and not check.problems:
        check.add("items: the instrument has no likert items to score.")
    if check.problems:
        raise InstrumentError(check.problems)
    return Instrument(
        key=key,
        title=title,
        version=version,
        scales=scales,
        items=tuple(items),
        factors=factors,
        clusters=clusters,
        sections=tuple(sections),
    )


def _choices(defined: Mapping[str, object]) -> str:
    return f" (defined: {', '.join(defined)})" if defined else " (none are defined)"


def instrument_load(text: str, *, fmt: str = "yaml") -> Instrument:
    """Read and validate an instrument (YAML or JSON); :class:`InstrumentError` if invalid."""
    return _build(_parse_document(text, fmt))


def instrument_document(instrument: Instrument) -> dict[str, Any]:
    """The instrument as plain data (the shape :func:`instrument_load` reads)."""
    by_key = {item.key: item for item in instrument.items}

    def item_doc(item: Item) -> dict[str, Any]:
        doc: dict[str, Any] = {"key": item.key, "kind": item.kind, "text": item.text}
        if item.scale is not None:
            doc["scale"] = item.scale
        if item.factor is not None:
            doc["factor"] = item.factor
        if item.reverse:
            doc["reverse"] = True
        if item.options:
            doc["options"] = list(item.options)
        if item.category is not None:
            doc["category"] = item.category
        return doc

    return {
        "key": instrument.key,
        "title": instrument.title,
        "version": instrument.version,
        "scales": {
            key: {
                "labels": list(s.labels),
                "values": list(s.values),
                "favourable": sorted(s.favourable),
            }
            for key, s in instrument.scales.items()
        },
        "clusters": dict(instrument.clusters),
        "factors": {
            key: {"label": f.label, **({"cluster": f.cluster} if f.cluster else {})}
            for key, f in instrument.factors.items()
        },
        "sections": [
            {"title": title, "items": [item_doc(by_key[k]) for k in keys]}
            for title, keys in instrument.sections
        ],
    }


def instrument_dump(instrument: Instrument, *, fmt: str = "yaml") -> str:
    """YAML (or JSON) text that :func:`instrument_load` reads back into an equal instrument."""
    document = instrument_document(instrument)
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def instrument_breaking_changes(old: Instrument, new: Instrument) -> list[str]:
    """Why ``new`` cannot replace ``old`` once responses to ``old`` are stored (empty: it can).

    Stored answers are kept under item keys as scale values or option words, and scores
    combine them through the scales, reverse coding and item -> factor -> cluster mapping.
    A change is refused when it would re-read stored answers differently or lose them:

    * an item removed or renamed (its key gone), or its kind, scale, reverse coding,
      factor or school category changed; an option of a choice or demographic item
      removed (adding options is allowed);
    * a new Likert item (earlier respondents could not answer it, so the wave's factor
      scores would mix two instruments; start a new wave instead);
    * a scale's values or favourable values changed, a factor moved to another cluster,
      or the instrument's key changed (year-over-year comparison follows the key).

    Allowed: wording of statements, labels, titles and section titles (fix a typo, but do
    not change what a statement asks), reordering items and sections, new open, choice
    and demographic items, new options, the version.
    """
    problems: list[str] = []
    if new.key != old.key:
        problems.append(
            f"instrument key: {old.key!r} cannot become {new.key!r} once responses exist. "
            "Year-over-year change and the survey indicators find earlier waves by this key, "
            "so a new key would cut this wave off from them; for a new instrument, create "
            "a new survey."
        )
    new_items = {item.key: item for item in new.items}
    for item in old.items:
        where = f"item {item.key!r}"
        now = new_items.get(item.key)
        if now is None:
            problems.append(f"{where}: has answers and cannot be removed or renamed.")
            continue
        for name in ("kind", "scale", "reverse", "factor", "category"):
            before, after = getattr(item, name), getattr(now, name)
            if before != after:
                problems.append(
                    f"{where}: its {name} cannot change from {before!r} to {after!r} once "
                    "responses exist."
                )
        dropped = [o for o in item.options if o not in now.options]
        if dropped:
            problems.append(
                f"{where}: option{'s' if len(dropped) > 1 else ''} "
                f"{', '.join(map(repr, dropped))} may have been chosen and cannot be removed."
            )
    old_keys = {item.key for item in old.items}
    for item in new.likert_items:
        if item.key not in old_keys:
            problems.append(
                f"item {item.key!r}: a new statement cannot be scored with answers already "
                "given; start a new wave for it."
            )
    for key, scale in old.scales.items():
        now_scale = new.scales.get(key)
        if now_scale is None:
            continue  # an item still using it is reported above (its scale changed)
        if now_scale.values != scale.values or now_scale.favourable != scale.favourable:
            problems.append(
                f"scale {key!r}: its values and favourable values cannot change once "
                "responses exist (labels can)."
            )
    for key, factor in old.factors.items():
        now_factor = new.factors.get(key)
        if now_factor is not None and now_factor.cluster != factor.cluster:
            problems.append(
                f"factor {key!r}: cannot move from cluster {factor.cluster!r} to "
                f"{now_factor.cluster!r} once responses exist."
            )
    return problems


def example_instrument() -> Instrument:
    """The original example instrument shipped with Ristra (no licensed item text)."""
    text = resources.files("ristra.analytics.data").joinpath(EXAMPLE_INSTRUMENT).read_text("utf-8")
    return instrument_load(text)


# ----------------------------------------------------------------------------- checking


def check_scale(values: pl.Series, scale: Scale) -> list[str]:
    """Problems with one column of answers: values outside the scale, label exports."""
    name = values.name or "answers"
    present = values.drop_nulls()
    if present.dtype == pl.String:
        present = present.str.strip_chars().filter(present.str.strip_chars() != "")
        as_int = present.cast(pl.Int64, strict=False)
        labels = {lab.casefold() for lab in scale.labels}
        words = present.filter(as_int.is_null())
        if len(words):
            known = words.str.to_lowercase().is_in(list(labels))
            problems = []
            if known.any():
                problems.append(
                    f"{name}: holds scale labels ({words.filter(known)[0]!r}) instead of "
                    f"values; map labels to values ({scale.describe()})."
                )
            unknown = words.filter(~known).unique(maintain_order=True)
            if len(unknown):
                problems.append(
                    f"{name}: {len(words.filter(~known))} answer(s) are neither values nor "
                    f"labels of scale {scale.describe()}: {_examples(unknown.to_list())}."
                )
            return problems
        present = as_int
    elif present.dtype.is_float():
        fractional = present.filter(present != present.round())
        if len(fractional):
            return [
                f"{name}: {len(fractional)} answer(s) are not whole numbers "
                f"({_examples(fractional.to_list())}); scale {scale.describe()}."
            ]
        present = present.cast(pl.Int64)
    elif not present.dtype.is_integer():
        return [f"{name}: answers should be scale values, not {present.dtype}."]
    outside = present.filter(~present.is_in(list(scale.values)))
    if not len(outside):
        return []
    counts = outside.value_counts(sort=True)
    shown = ", ".join(f"{row[0]} ({row[1]}x)" for row in counts.head(5).iter_rows())
    return [f"{name}: {len(outside)} answer(s) outside scale {scale.describe()}: {shown}."]


def _examples(values: Sequence[object], limit: int = 5) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


# ----------------------------------------------------------------------------- scoring


def _recoded(item: Item, scale: Scale, dtype: pl.DataType) -> pl.Expr:
    """The item's value after reverse coding (null when missing or off the scale).

    Text columns may hold values ("4") or the scale's labels ("Agree", any case)."""
    target = scale.reverse_map() if item.reverse else {v: v for v in scale.values}
    column = pl.col(item.key)
    if dtype == pl.String:
        words = {str(v): target[v] for v in scale.values}
        words |= {label.casefold(): target[v] for v, label in scale.pairs()}
        return (
            column.str.strip_chars()
            .str.to_lowercase()
            .replace_strict(words, default=None, return_dtype=pl.Int64)
        )
    if dtype.is_float():
        column = pl.when(column == column.round()).then(column).cast(pl.Int64, strict=False)
    elif not dtype.is_integer():
        column = column.cast(pl.Int64, strict=False)
    values = list(scale.values)
    steps = {b - a for a, b in itertools.pairwise(sorted(values))}
    if len(steps) == 1:  # evenly spaced (1-5, 0-10, ...): mirror by arithmetic, much faster
        mirrored = (values[0] + values[-1] - column) if item.reverse else column
        return pl.when(column.is_in(values)).then(mirrored).otherwise(None).cast(pl.Int64)
    return column.replace_strict(target, default=None, return_dtype=pl.Int64)


def prepare(responses: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """One row per response: recoded item values ``v|item|k``, favourable flags
    ``f|item|k`` (0/1), and each respondent's factor and cluster means and favourable
    shares (``v|factor|k``, ``f|factor|k``, ...), plus the original non-item columns.

    :func:`score` and :func:`score_splits` aggregate this frame; computing it once and
    grouping it by several splits is what makes a full results page fast.
    """
    likert = instrument.likert_items
    missing = [item.key for item in likert if item.key not in responses.columns]
    columns: list[pl.Expr] = []
    for item in likert:
        scale = instrument.scale_of(item)
        if item.key in missing:
            value = pl.lit(None, dtype=pl.Int64)
        else:
            value = _recoded(item, scale, responses.schema[item.key])
        columns.append(value.cast(pl.Float64).alias(f"v|item|{item.key}"))
        fav = pl.when(value.is_null()).then(None).otherwise(value.is_in(list(scale.favourable)))
        columns.append(fav.cast(pl.Float64).alias(f"f|item|{item.key}"))
    scored = {item.key for item in likert}
    keep = [c for c in responses.columns if c not in scored]
    frame = responses.select(*keep, *columns)
    groups: list[tuple[str, str, tuple[Item, ...]]] = [
        ("factor", key, instrument.factor_items(key)) for key in instrument.factors
    ]
    groups += [("cluster", key, instrument.cluster_items(key)) for key in instrument.clusters]
    derived: list[pl.Expr] = []
    for level, key, members in groups:
        for stat in ("v", "f"):
            derived.append(
                pl.mean_horizontal([pl.col(f"{stat}|item|{i.key}") for i in members]).alias(
                    f"{stat}|{level}|{key}"
                )
            )
    return frame.with_columns(derived) if derived else frame


def _targets(instrument: Instrument) -> list[tuple[str, str]]:
    targets = [("item", item.key) for item in instrument.likert_items]
    targets += [("factor", key) for key in instrument.factors]
    targets += [("cluster", key) for key in instrument.clusters]
    return targets


@dataclass(frozen=True)
class _Matrices:
    """The prepared frame as arrays: one column per (level, key) target."""

    targets: list[tuple[str, str]]
    values: NDArray[np.float64]  # respondents x targets, 0 where missing
    favourable: NDArray[np.float64]  # respondents x targets, 0 where missing
    answered: NDArray[np.float64]  # respondents x targets, 1 where answered
    members: NDArray[np.float64]  # items x targets: which items feed each target

    def take(self, rows: NDArray[np.bool_]) -> _Matrices:
        """The same arrays for the respondents where ``rows`` is true."""
        return _Matrices(
            targets=self.targets,
            values=self.values[rows],
            favourable=self.favourable[rows],
            answered=self.answered[rows],
            members=self.members,
        )


def _matrices(prepared: pl.DataFrame, instrument: Instrument) -> _Matrices:
    targets = _targets(instrument)
    values = (
        prepared.select([pl.col(f"v|{level}|{key}") for level, key in targets])
        .to_numpy()
        .astype(np.float64, copy=False)
        if targets
        else np.zeros((prepared.height, 0))
    )
    favourable = (
        prepared.select([pl.col(f"f|{level}|{key}") for level, key in targets])
        .to_numpy()
        .astype(np.float64, copy=False)
        if targets
        else np.zeros((prepared.height, 0))
    )
    answered = ~np.isnan(values)
    items = [item.key for item in instrument.likert_items]
    members = np.zeros((len(items), len(targets)))
    position = {key: i for i, key in enumerate(items)}
    for t, (level, key) in enumerate(targets):
        if level == "item":
            group: tuple[Item, ...] = (instrument.item(key),)
        elif level == "factor":
            group = instrument.factor_items(key)
        else:
            group = instrument.cluster_items(key)
        for item in group:
            members[position[item.key], t] = 1.0
    return _Matrices(
        targets=targets,
        values=np.ascontiguousarray(np.where(answered, values, 0.0)),
        favourable=np.ascontiguousarray(np.where(answered, np.nan_to_num(favourable), 0.0)),
        answered=np.ascontiguousarray(answered.astype(np.float64)),
        members=members,
    )


def _matrices_from_responses(responses: pl.DataFrame, instrument: Instrument) -> _Matrices:
    """:func:`_matrices` straight from the responses: items recoded in polars, then each
    respondent's factor and cluster means computed with two small matrix products."""
    likert = instrument.likert_items
    targets = _targets(instrument)
    columns: list[pl.Expr] = []
    for item in likert:
        scale = instrument.scale_of(item)
        if item.key in responses.columns:
            value = _recoded(item, scale, responses.schema[item.key])
        else:
            value = pl.lit(None, dtype=pl.Int64)
        columns.append(value.cast(pl.Float64).alias(f"v|{item.key}"))
        columns.append(value.is_in(list(scale.favourable)).cast(pl.Float64).alias(f"f|{item.key}"))
    n_items = len(likert)
    if n_items:
        both = responses.select(columns).to_numpy(order="c").astype(np.float64, copy=False)
    else:
        both = np.zeros((responses.height, 0))
    item_values, item_favourable = both[:, 0::2], both[:, 1::2]
    answered_items = ~np.isnan(item_values)
    values_items = np.where(answered_items, item_values, 0.0)
    favourable_items = np.where(answered_items, np.nan_to_num(item_favourable), 0.0)
    position = {item.key: i for i, item in enumerate(likert)}
    members = np.zeros((n_items, len(targets)))
    for t, (level, key) in enumerate(targets):
        if level == "item":
            group: tuple[Item, ...] = (instrument.item(key),)
        elif level == "factor":
            group = instrument.factor_items(key)
        else:
            group = instrument.cluster_items(key)
        for item in group:
            members[position[item.key], t] = 1.0
    grouped = members[:, n_items:]
    counts = answered_items.astype(np.float64) @ grouped
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, (values_items @ grouped) / counts, 0.0)
        shares = np.where(counts > 0, (favourable_items @ grouped) / counts, 0.0)
    answered = np.hstack([answered_items.astype(np.float64), (counts > 0).astype(np.float64)])
    return _Matrices(
        targets=targets,
        values=np.ascontiguousarray(np.hstack([values_items, means])),
        favourable=np.ascontiguousarray(np.hstack([favourable_items, shares])),
        answered=np.ascontiguousarray(answered),
        members=members,
    )


def _aggregate(matrices: _Matrices, frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Per group and target: n, answers, mean, sd, pct and psd, by sparse group sums.

    A one-hot group matrix times the value, square and count matrices gives every
    group's sums in three products; means and standard deviations follow from them.
    """
    n_rows, n_targets = matrices.values.shape
    if by:
        keys = frame.select(list(by))
        groups = keys.unique().sort(list(by), nulls_last=True)
        codes = (
            keys.join(
                groups.with_row_index("_code"),
                on=list(by),
                how="left",
                nulls_equal=True,
                maintain_order="left",
            )["_code"]
            .to_numpy()
            .astype(np.int64)
        )
    else:
        groups = pl.DataFrame()
        codes = np.zeros(n_rows, dtype=np.int64)
    n_groups = groups.height if by else 1
    onehot = sparse.csr_matrix(
        (np.ones(n_rows), (codes, np.arange(n_rows))), shape=(n_groups, n_rows)
    )
    v, f, a = matrices.values, matrices.favourable, matrices.answered
    n = np.asarray(onehot @ a)
    sums = np.asarray(onehot @ v)
    squares = np.asarray(onehot @ (v * v))
    fav = np.asarray(onehot @ f)
    fav_squares = np.asarray(onehot @ (f * f))
    n_items = matrices.members.shape[0]
    answers = n[:, :n_items] @ matrices.members
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n
        pct = fav / n
        sd = np.sqrt(np.maximum(squares - sums * mean, 0.0) / (n - 1))
        psd = np.sqrt(np.maximum(fav_squares - fav * pct, 0.0) / (n - 1))
    sd[n < 2] = np.nan
    psd[n < 2] = np.nan
    # target-major rows: every group for the first target, then the next target, ...
    order_t = np.repeat(np.arange(n_targets), n_groups)
    order_g = np.tile(np.arange(n_groups), n_targets)
    columns: dict[str, Any] = {}
    if by:
        gathered = groups[pl.Series(order_g)] if n_groups else groups.clear()
        columns.update({c: gathered[c] for c in by})
    levels = [level for level, _ in matrices.targets]
    target_keys = [key for _, key in matrices.targets]
    columns["level"] = pl.Series("level", [levels[t] for t in order_t], dtype=pl.String)
    columns["key"] = pl.Series("key", [target_keys[t] for t in order_t], dtype=pl.String)
    for name, array in (
        ("n", n),
        ("answers", answers),
        ("mean", mean),
        ("sd", sd),
        ("pct", pct),
        ("psd", psd),
    ):
        columns[name] = pl.Series(name, array.T.reshape(-1), dtype=pl.Float64)
    return pl.DataFrame(columns)


def _with_intervals(table: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    n = table["n"].to_numpy().astype(float)
    mean = table["mean"].to_numpy().astype(float)
    sd = table["sd"].to_numpy().astype(float)
    pct = table["pct"].to_numpy().astype(float)
    psd = table["psd"].to_numpy().astype(float)
    is_item = (table["level"] == "item").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, _t975(np.maximum(n - 1, 1)), np.nan)
        half = t * sd / np.sqrt(n)
        ci_low, ci_high = mean - half, mean + half
        w_low, w_high = wilson(pct * n, n)
        p_half = t * psd / np.sqrt(n)
        t_low = np.clip(pct - p_half, 0.0, 1.0)
        t_high = np.clip(pct + p_half, 0.0, 1.0)
    p_low = np.where(is_item, w_low, t_low)
    p_high = np.where(is_item, w_high, t_high)
    result = table.select(
        *by,
        "level",
        "key",
        pl.col("n").cast(pl.Int64),
        pl.col("answers").cast(pl.Int64),
        "mean",
        "sd",
        pl.Series("ci_low", ci_low, dtype=pl.Float64),
        pl.Series("ci_high", ci_high, dtype=pl.Float64),
        pl.col("pct").alias("pct_favourable"),
        pl.Series("pct_ci_low", p_low, dtype=pl.Float64),
        pl.Series("pct_ci_high", p_high, dtype=pl.Float64),
    )
    return result.with_columns(pl.col(pl.Float64).fill_nan(None))


def _t975(df: Any) -> Any:
    """The t distribution's 97.5th percentile for ``df`` degrees of freedom (vectorised).

    ``scipy.special.stdtrit`` is what ``scipy.stats.t.ppf`` evaluates, without the
    import of ``scipy.stats`` (about a second) or its per-call argument checks.
    """
    return special.stdtrit(np.asarray(df, dtype=float), 0.975)


def wilson(successes: Any, n: Any, z: float = Z95) -> tuple[Any, Any]:
    """Wilson score interval for a proportion (vectorised; NaN where ``n`` is 0)."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _check_groups(responses: pl.DataFrame, instrument: Instrument, by: Sequence[str]) -> None:
    scored = {item.key for item in instrument.likert_items}
    for column in by:
        if column not in responses.columns:
            raise KeyError(f"cannot group by {column!r}: no such column in the responses")
        if column in scored:
            raise ValueError(f"cannot group by {column!r}: it is a scored item")
        if column in SCORE_COLUMNS:
            raise ValueError(f"cannot group by {column!r}: the name is used by the score table")


def score(
    responses: pl.DataFrame, instrument: Instrument, *, by: Sequence[str] = ()
) -> pl.DataFrame:
    """Item, factor and cluster scores, overall or per group of the ``by`` columns.

    Returns one row per (group..., level, key) with ``n`` (respondents who answered),
    ``answers`` (item answers), ``mean``, ``sd``, ``ci_low``/``ci_high`` (95% t interval of
    the mean), ``pct_favourable`` (0-1) and ``pct_ci_low``/``pct_ci_high``.  A missing
    group value is a group of its own (null).  Raw and unsuppressed: the app applies the
    minimum group size when it publishes.
    """
    _check_groups(responses, instrument, by)
    with _THREADS.limit(limits=1, user_api="blas"):
        matrices = _matrices_from_responses(responses, instrument)
        return _with_intervals(_aggregate(matrices, responses, by), by)


@dataclass(frozen=True)
class ScoringArrays:
    """Responses recoded once into arrays, ready to be scored by any grouping or subset.

    A results page scores the same responses overall, by several splits and within a
    filter; recoding is most of the cost of :func:`score`, so it is done once here
    (:func:`scoring_arrays`) and every score reuses it.
    """

    frame: pl.DataFrame  # the responses' columns other than the scored items
    matrices: _Matrices

    def score(
        self, *, by: Sequence[str] = (), rows: NDArray[np.bool_] | None = None
    ) -> pl.DataFrame:
        """:func:`score` of these responses (only ``rows``, a boolean mask, when given)."""
        matrices, frame = self.matrices, self.frame
        for column in by:
            if column not in frame.columns:
                raise KeyError(f"cannot group by {column!r}: no such column in the responses")
        if rows is not None:
            if rows.shape != (frame.height,):
                raise ValueError(f"the row mask has {rows.shape[0]} rows, not {frame.height}")
            matrices = matrices.take(rows)
            frame = frame.filter(pl.Series(rows))
        with _THREADS.limit(limits=1, user_api="blas"):
            return _with_intervals(_aggregate(matrices, frame, by), by)


def scoring_arrays(responses: pl.DataFrame, instrument: Instrument) -> ScoringArrays:
    """Recode ``responses`` once for :meth:`ScoringArrays.score` (same rules as :func:`score`)."""
    scored = {item.key for item in instrument.likert_items}
    for column in responses.columns:
        if column in SCORE_COLUMNS and column not in scored:
            raise ValueError(f"cannot keep {column!r}: the name is used by the score table")
    with _THREADS.limit(limits=1, user_api="blas"):
        matrices = _matrices_from_responses(responses, instrument)
    return ScoringArrays(
        frame=responses.select([c for c in responses.columns if c not in scored]),
        matrices=matrices,
    )


def score_prepared(
    prepared: pl.DataFrame, instrument: Instrument, *, by: Sequence[str] = ()
) -> pl.DataFrame:
    """:func:`score` on a frame already made by :func:`prepare`."""
    return _with_intervals(_aggregate(_matrices(prepared, instrument), prepared, by), by)


def score_splits(
    responses: pl.DataFrame, instrument: Instrument, splits: Sequence[str]
) -> pl.DataFrame:
    """Overall scores plus scores by each split in turn, in one frame.

    Columns: ``split`` (``None`` for the overall rows), ``group`` (the split's value as
    text; ``None`` overall or where the value is missing), then the :func:`score` columns.
    Recodes once and reuses the arrays for every split.
    """
    _check_groups(responses, instrument, splits)
    for column in set(splits) & {"split", "group"}:
        raise ValueError(f"cannot split by {column!r}: the name is used by the split table")
    with _THREADS.limit(limits=1, user_api="blas"):
        return _score_splits(responses, instrument, splits)


def _score_splits(
    responses: pl.DataFrame, instrument: Instrument, splits: Sequence[str]
) -> pl.DataFrame:
    matrices = _matrices_from_responses(responses, instrument)
    parts = [
        _with_intervals(_aggregate(matrices, responses, ()), ()).select(
            pl.lit(None, dtype=pl.String).alias("split"),
            pl.lit(None, dtype=pl.String).alias("group"),
            pl.all(),
        )
    ]
    for split in splits:
        part = _with_intervals(_aggregate(matrices, responses, [split]), [split])
        parts.append(
            part.select(
                pl.lit(split, dtype=pl.String).alias("split"),
                pl.col(split).cast(pl.String).alias("group"),
                pl.exclude(split),
            )
        )
    return pl.concat(parts, how="vertical")


# ----------------------------------------------------------------------------- gaps


def _group_columns(scores: pl.DataFrame) -> list[str]:
    return [c for c in scores.columns if c not in SCORE_COLUMNS]


def _mover(
    d1: pl.Expr, l1: pl.Expr, u1: pl.Expr, d2: pl.Expr, l2: pl.Expr, u2: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """Newcombe's MOVER interval for a difference d1 - d2 from each side's interval."""
    diff = d1 - d2
    low = diff - ((d1 - l1) ** 2 + (u2 - d2) ** 2).sqrt()
    high = diff + ((u1 - d1) ** 2 + (d2 - l2) ** 2).sqrt()
    return low, high


def _welch(
    m1: pl.Expr, s1: pl.Expr, n1: pl.Expr, m2: pl.Expr, s2: pl.Expr, n2: pl.Expr
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Difference of means m1 - m2, its standard error and Welch-Satterthwaite df."""
    v1, v2 = s1**2 / n1, s2**2 / n2
    se = (v1 + v2).sqrt()
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    return m1 - m2, se, df


def gaps(
    data: pl.DataFrame,
    instrument: Instrument,
    *,
    by: str,
    reference: str | None = None,
) -> pl.DataFrame:
    """Differences between each group of ``by`` and a reference group, with 95% intervals.

    ``data`` is either the responses (scored here by ``by``) or a :func:`score` frame
    already grouped by ``by`` alone.  ``reference`` defaults to the largest group (most
    respondents).  Percent favourable differences use Newcombe's method (MOVER) on each
    group's interval; mean differences use Welch's t interval.  Returns one row per
    (group, level, key) except the reference itself: ``group``, ``reference``, ``n``,
    ``n_reference``, ``mean_gap``, ``mean_gap_low``, ``mean_gap_high``, ``pct_gap``,
    ``pct_gap_low``, ``pct_gap_high`` (gaps are group minus reference).
    """
    if "level" in data.columns and "pct_favourable" in data.columns:
        scores = data
        groups = _group_columns(scores)
        if groups != [by]:
            raise ValueError(f"the score frame is grouped by {groups}, not by [{by!r}]")
    else:
        scores = score(data, instrument, by=[by])
    scores = scores.filter(pl.col(by).is_not_null()).with_columns(pl.col(by).cast(pl.String))
    sizes = (
        scores.group_by(by)
        .agg(pl.col("n").max().alias("size"))
        .sort(["size", by], descending=[True, False])
    )
    if sizes.is_empty():
        return pl.DataFrame(schema=_GAP_SCHEMA)
    if reference is None:
        reference = str(sizes[by][0])
    elif reference not in sizes[by].to_list():
        raise ValueError(
            f"reference group {reference!r} has no responses in {by!r} "
            f"(groups: {', '.join(map(str, sizes[by].to_list()))})"
        )
    ref = scores.filter(pl.col(by) == reference).select(
        "level", "key", *[pl.col(c).alias(f"{c}_ref") for c in SCORE_COLUMNS[2:]]
    )
    joined = scores.filter(pl.col(by) != reference).join(ref, on=["level", "key"], how="inner")
    pct_low, pct_high = _mover(
        pl.col("pct_favourable"),
        pl.col("pct_ci_low"),
        pl.col("pct_ci_high"),
        pl.col("pct_favourable_ref"),
        pl.col("pct_ci_low_ref"),
        pl.col("pct_ci_high_ref"),
    )
    diff, se, df = _welch(
        pl.col("mean"),
        pl.col("sd"),
        pl.col("n"),
        pl.col("mean_ref"),
        pl.col("sd_ref"),
        pl.col("n_ref"),
    )
    out = joined.with_columns(
        diff.alias("mean_gap"),
        se.alias("_se"),
        df.alias("_df"),
        pct_low.alias("pct_gap_low"),
        pct_high.alias("pct_gap_high"),
        (pl.col("pct_favourable") - pl.col("pct_favourable_ref")).alias("pct_gap"),
    )
    dfs = out["_df"].to_numpy().astype(float)
    with np.errstate(invalid="ignore"):
        tq = _t975(dfs)
    out = out.with_columns(pl.Series("_t", tq, dtype=pl.Float64).fill_nan(None))
    return (
        out.select(
            pl.lit(by).alias("by"),
            pl.col(by).alias("group"),
            pl.lit(reference).alias("reference"),
            "level",
            "key",
            "n",
            pl.col("n_ref").alias("n_reference"),
            "mean_gap",
            (pl.col("mean_gap") - pl.col("_t") * pl.col("_se")).alias("mean_gap_low"),
            (pl.col("mean_gap") + pl.col("_t") * pl.col("_se")).alias("mean_gap_high"),
            "pct_gap",
            "pct_gap_low",
            "pct_gap_high",
        )
        .with_columns(pl.col(pl.Float64).fill_nan(None))
        .cast(_GAP_SCHEMA)  # type: ignore[arg-type]
    )


_GAP_SCHEMA: Final = {
    "by": pl.String,
    "group": pl.String,
    "reference": pl.String,
    "level": pl.String,
    "key": pl.String,
    "n": pl.Int64,
    "n_reference": pl.Int64,
    "mean_gap": pl.Float64,
    "mean_gap_low": pl.Float64,
    "mean_gap_high": pl.Float64,
    "pct_gap": pl.Float64,
    "pct_gap_low": pl.Float64,
    "pct_gap_high": pl.Float64,
}


# ----------------------------------------------------------------------------- rates


@dataclass(frozen=True)
class ResponseRate:
    """One group's response rate and representativeness.

    ``representativeness`` is the group's share of respondents divided by its share of
    the population: 1.0 means represented in proportion, below 1 under-represented.
    ``None`` where a denominator is zero.
    """

    group: str
    respondents: int
    population: int
    rate: float | None
    respondent_share: float | None
    population_share: float | None
    representativeness: float | None


def response_rates(
    respondents_by_group: Mapping[str, int], population_by_group: Mapping[str, int]
) -> list[ResponseRate]:
    """Response rate per group against the population in the person record.

    Groups appear in population order, then any group with respondents but no population
    (for example a category the person record lacks).  Counts are raw: the app suppresses.
    """
    for label, counts in (
        ("respondents", respondents_by_group),
        ("population", population_by_group),
    ):
        for group, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"{label} for group {group!r} must be a count, not {count!r}")
    total_r = sum(respondents_by_group.values())
    total_p = sum(population_by_group.values())
    groups = list(population_by_group) + [
        g for g in respondents_by_group if g not in population_by_group
    ]
    rates = []
    for group in groups:
        r = respondents_by_group.get(group, 0)
        p = population_by_group.get(group, 0)
        r_share = r / total_r if total_r else None
        p_share = p / total_p if total_p else None
        rates.append(
            ResponseRate(
                group=group,
                respondents=r,
                population=p,
                rate=r / p if p else None,
                respondent_share=r_share,
                population_share=p_share,
                representativeness=(r_share / p_share if r_share is not None and p_share else None),
            )
        )
    return rates


# ----------------------------------------------------------------------------- trends


def year_over_year(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Change from one cycle's :func:`score` frame to the previous one's, with intervals.

    Rows are matched on the group columns, level and key; rows of ``current`` without a
    match keep null previous values.  Adds ``mean_previous``, ``mean_change`` (and 95%
    Welch interval), ``pct_previous``, ``pct_change`` (and MOVER interval), ``n_previous``.
    The two cycles are treated as independent samples.
    """
    groups = _group_columns(current)
    if _group_columns(previous) != groups:
        raise ValueError(
            f"the two cycles are grouped differently: {groups} and {_group_columns(previous)}"
        )
    keys = [*groups, "level", "key"]
    prev = previous.select(*keys, *[pl.col(c).alias(f"{c}_prev") for c in SCORE_COLUMNS[2:]])
    joined = current.join(prev, on=keys, how="left", nulls_equal=True)
    low, high = _mover(
        pl.col("pct_favourable"),
        pl.col("pct_ci_low"),
        pl.col("pct_ci_high"),
        pl.col("pct_favourable_prev"),
        pl.col("pct_ci_low_prev"),
        pl.col("pct_ci_high_prev"),
    )
    diff, se, df = _welch(
        pl.col("mean"),
        pl.col("sd"),
        pl.col("n"),
        pl.col("mean_prev"),
        pl.col("sd_prev"),
        pl.col("n_prev"),
    )
    out = joined.with_columns(
        diff.alias("mean_change"),
        se.alias("_se"),
        df.cast(pl.Float64).alias("_df"),
        (pl.col("pct_favourable") - pl.col("pct_favourable_prev")).alias("pct_change"),
        low.alias("pct_change_low"),
        high.alias("pct_change_high"),
    )
    with np.errstate(invalid="ignore"):
        tq = _t975(out["_df"].fill_null(float("nan")).to_numpy().astype(float))
    out = out.with_columns(pl.Series("_t", tq, dtype=pl.Float64).fill_nan(None))
    return out.select(
        *current.columns,
        pl.col("n_prev").alias("n_previous"),
        pl.col("mean_prev").alias("mean_previous"),
        "mean_change",
        (pl.col("mean_change") - pl.col("_t") * pl.col("_se")).alias("mean_change_low"),
        (pl.col("mean_change") + pl.col("_t") * pl.col("_se")).alias("mean_change_high"),
        pl.col("pct_favourable_prev").alias("pct_previous"),
        "pct_change",
        "pct_change_low",
        "pct_change_high",
    ).with_columns(pl.col(pl.Float64).fill_nan(None))


def significant(low: float | None, high: float | None) -> bool:
    """Whether an interval excludes zero (both ends known and on the same side)."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return False
    return low > 0 or high < 0
