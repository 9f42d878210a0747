"""Properties of the linkage normalisation and of the one-to-one resolution."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.analytics.linkage import (
    METHOD_AAMC,
    METHOD_EMAIL_BIRTH,
    METHOD_PROBABILISTIC,
    NICKNAMES,
    Evidence,
    LinkSettings,
    Pair,
    name_forms,
    normalise_email,
    normalise_text,
    resolve,
    split_former_names,
    user_name_from_names,
)

ACCENTS = ["\u0301", "\u0300", "\u0303", "\u0308", "\u0302", "\u0327", "\u030c"]


@given(st.text())
def test_normalising_is_idempotent_and_leaves_no_marks(value: str) -> None:
    key = normalise_text(value)
    if key is None:
        return
    assert normalise_text(key) == key
    assert key == key.strip() and "  " not in key
    assert not any(unicodedata.combining(c) for c in key)
    assert key.casefold() == key


@given(
    st.lists(
        st.tuples(
            st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            st.lists(st.sampled_from(ACCENTS), max_size=2),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_accents_and_case_do_not_matter(letters: list[tuple[str, list[str]]]) -> None:
    plain = "".join(letter for letter, _ in letters)
    accented = unicodedata.normalize("NFC", "".join(c + "".join(m) for c, m in letters))
    assert normalise_text(accented) == normalise_text(plain) == plain.lower()
    assert normalise_text(accented.upper()) == plain.lower()


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=10))
def test_letters_of_every_script_are_kept(word: str) -> None:
    key = normalise_text(word)
    letters = [c for c in unicodedata.normalize("NFKD", word) if unicodedata.category(c)[0] == "L"]
    assert key is not None or not letters


@given(st.sampled_from(sorted(NICKNAMES)), st.data())
def test_every_nickname_shares_a_form_with_its_name(canonical: str, data: st.DataObject) -> None:
    nickname = data.draw(st.sampled_from(NICKNAMES[canonical]))
    assert canonical in name_forms(nickname)
    assert name_forms(canonical) & name_forms(nickname.upper())


@given(st.text(max_size=30))
def test_email_normalising(value: str) -> None:
    email = normalise_email(value)
    if "@" not in value.strip():
        assert email is None
    if email is not None:
        assert normalise_email(email) == email
        assert email == email.strip().casefold()
        assert "@" in email.strip("@")


@given(st.lists(st.text(max_size=8), max_size=4))
def test_former_names_split_into_distinct_keys(names: list[str]) -> None:
    keys = split_former_names(";".join(names))
    assert len(keys) == len(set(keys))
    assert all(k and normalise_text(k) == k and ";" not in k for k in keys)


# --------------------------------------------------------------------------- resolution

IDS = st.integers(0, 5)
pairs = st.lists(
    st.builds(
        lambda p, r, method, prob: Pair(
            f"p{p}",
            f"r{r}",
            method,
            1.0 if method != METHOD_PROBABILISTIC else prob,
            99.0 if method != METHOD_PROBABILISTIC else round(prob * 30 - 10, 3),
            (Evidence("given name", "exact", 3.0),),
        ),
        IDS,
        IDS,
        st.sampled_from([METHOD_AAMC, METHOD_EMAIL_BIRTH, METHOD_PROBABILISTIC]),
        st.floats(0.0, 1.0),
    ),
    max_size=30,
)
decisions = st.dictionaries(st.tuples(IDS.map("p{}".format), IDS.map("r{}".format)), st.booleans())
link_settings = st.builds(
    lambda auto, review, k: LinkSettings(
        auto_threshold=max(auto, review), review_threshold=min(auto, review), max_candidates=k
    ),
    st.floats(0.01, 1.0),
    st.floats(0.01, 1.0),
    st.integers(1, 4),
)


def _consistent(decided: dict[tuple[str, str], bool]) -> dict[tuple[str, str], bool]:
    """Drop confirmations that would confirm a participant or a record twice."""
    seen_p: set[str] = set()
    seen_r: set[str] = set()
    out: dict[tuple[str, str], bool] = {}
    for (p, r), ok in sorted(decided.items()):
        if ok and (p in seen_p or r in seen_r):
            continue
        if ok:
            seen_p.add(p)
            seen_r.add(r)
        out[(p, r)] = ok
    return out


@settings(max_examples=300)
@given(pairs, decisions, link_settings)
def test_resolution_invariants(
    scored: list[Pair], decided: dict[tuple[str, str], bool], chosen: LinkSettings
) -> None:
    decided = _consistent(decided)
    out = resolve(scored, settings=chosen, decisions=decided)
    links = [c for c in out if c.decision == "link"]
    assert len({c.participant_id for c in links}) == len(links)  # <= 1 link per participant
    assert len({c.record_id for c in links}) == len(links)  # <= 1 participant per record
    keys = [(c.participant_id, c.record_id) for c in out]
    assert len(keys) == len(set(keys))
    for key, ok in decided.items():
        if ok:
            assert any((c.participant_id, c.record_id) == key and c.decision == "link" for c in out)
        else:
            assert key not in keys
    for candidate in out:
        assert candidate.decision in {"link", "review"}
        if candidate.method != "manual":
            assert candidate.match_probability >= chosen.review_threshold
        if candidate.decision == "link" and candidate.method != "manual":
            assert candidate.match_probability >= chosen.auto_threshold
    per_participant: dict[str, int] = {}
    for candidate in out:
        per_participant[candidate.participant_id] = (
            per_participant.get(candidate.participant_id, 0) + 1
        )
    assert all(n <= chosen.max_candidates for n in per_participant.values())


@given(pairs, link_settings)
def test_a_link_is_never_lost_to_a_weaker_pair(scored: list[Pair], chosen: LinkSettings) -> None:
    """Greedy by weight: every automatic-threshold pair that was not linked lost to a link
    on its participant or its record at least as strong (identifiers rank first)."""
    out = resolve(scored, settings=chosen, decisions={})
    links = [c for c in out if c.decision == "link"]
    rank = {METHOD_AAMC: 0, METHOD_EMAIL_BIRTH: 1, METHOD_PROBABILISTIC: 2}
    linked = {(c.participant_id, c.record_id) for c in links}
    for pair in scored:
        if pair.match_probability < chosen.auto_threshold:
            continue
        if (pair.participant_id, pair.record_id) in linked:
            continue
        rivals = [
            c
            for c in links
            if c.participant_id == pair.participant_id or c.record_id == pair.record_id
        ]
        assert rivals
        assert any(
            (rank[c.method], -c.match_weight) <= (rank[pair.method], -pair.match_weight)
            for c in rivals
        )


NAME_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíñóúü", min_size=3, max_size=10)


@given(NAME_WORD, NAME_WORD, st.integers(0, 9999), st.sampled_from(["", ".", "_"]))
def test_a_user_name_of_initial_and_family_name_is_built_from_the_names(
    given_name: str, family: str, number: int, dot: str
) -> None:
    email = f"{given_name[0]}{dot}{family.upper()}{number}@example.org"
    assert user_name_from_names(email, given_name.capitalize(), family.capitalize())


@given(st.text(alphabet="0123456789._-", min_size=1, max_size=12), st.text(), st.text())
def test_a_user_name_without_letters_is_never_built_from_the_names(
    user: str, given_name: str, family: str
) -> None:
    assert not user_name_from_names(f"{user}@example.org", given_name, family)
