"""The instrument builder: every edit round-trips through the YAML text and the parser,
breaking changes are refused once responses exist, and only managers reach it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ristra.analytics.surveys import instrument_dump, instrument_load
from ristra.surveys.tests.conftest import fill


def _reloaded(survey: Any) -> Any:
    """The saved instrument, read back from its stored text by the parser."""
    survey.refresh_from_db()
    instrument = instrument_load(survey.instrument_text, fmt=survey.instrument_format)
    assert instrument_load(instrument_dump(instrument)) == instrument
    return instrument


def _keys(instrument: Any) -> list[list[str]]:
    return [list(keys) for _, keys in instrument.sections]


def _builder(survey: Any) -> str:
    return reverse("surveys:builder", args=[survey.pk])


def _remove_url(survey: Any, key: str) -> str:
    return reverse("surveys:builder_item_remove", args=[survey.pk, key])


def _section_remove_url(survey: Any, index: int) -> str:
    return reverse("surveys:builder_section_remove", args=[survey.pk, index])


def _section_keys(survey: Any, index: int) -> str:
    """What the confirmation page posts: the keys of the section it showed (as saved now)."""
    return " ".join(_reloaded(survey).sections[index][1])


def _item_url(survey: Any, key: str | None = None) -> str:
    if key is None:
        return reverse("surveys:builder_item_new", args=[survey.pk])
    return reverse("surveys:builder_item", args=[survey.pk, key])


LIKERT = {
    "key": "con5",
    "kind": "likert",
    "text": "I know whom to ask for help.",
    "scale": "agree5",
    "factor": "connection",
    "cluster": "belonging",
}


@pytest.mark.django_db
def test_the_builder_lists_sections_and_items_in_order(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    response = client_for("analyst").get(_builder(survey))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("con1") < body.index("con2") < body.index("voi4") < body.index("gender")
    assert "Your place in the school" in body
    assert 'value="up"' in body and 'value="remove"' not in body
    assert 'value="section_remove"' not in body
    # removing an item or a section goes through a confirmation page
    assert reverse("surveys:builder_item_remove", args=[survey.pk, "con1"]) in body
    assert _section_remove_url(survey, 0) in body


@pytest.mark.django_db
def test_adding_a_likert_item_with_a_new_factor_and_cluster(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    response = client_for("analyst").post(
        _item_url(survey),
        {
            **LIKERT,
            "section": "1",
            "key": "saf1",
            "factor": "__new__",
            "new_factor_key": "safety",
            "new_factor_label": "Safety",
            "cluster": "__new__",
            "new_cluster_key": "wellbeing",
            "new_cluster_label": "Well-being",
            "reverse": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    instrument = _reloaded(survey)
    item = instrument.item("saf1")
    assert (item.kind, item.scale, item.factor, item.reverse) == (
        "likert",
        "agree5",
        "safety",
        True,
    )
    assert instrument.factors["safety"].cluster == "wellbeing"
    assert instrument.clusters["wellbeing"] == "Well-being"
    assert _keys(instrument)[1][-1] == "saf1"
    assert "saf1" in survey.instrument_text  # one source of truth: the YAML text
    assert "description: Twenty-four statements" in survey.instrument_text.replace(">-\n  ", "")


@pytest.mark.django_db
def test_adding_a_demographic_item_in_a_new_section(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    response = client_for("analyst").post(
        _item_url(survey),
        {
            "section": "__new__",
            "new_section_title": "Your work",
            "key": "unit",
            "kind": "demographic",
            "text": "Where do you work?",
            "options": "Medicine\nSurgery\n\nPaediatrics",
            "category": "department",
        },
    )
    assert response.status_code == 302, response.content.decode()
    instrument = _reloaded(survey)
    assert instrument.sections[-1] == ("Your work", ("unit",))
    item = instrument.item("unit")
    assert item.options == ("Medicine", "Surgery", "Paediatrics")
    assert item.category == "department"


@pytest.mark.django_db
def test_the_category_field_lists_the_schools_categories(client_for: Any, survey_factory: Any):
    import datetime as dt

    from ristra.reports.models import Category

    survey = survey_factory()
    Category.objects.create(
        key="first_generation",
        label="First generation",
        rule_text="parent_education in ['none', 'secondary']",
        effective_from=dt.date(2020, 1, 1),
    )
    body = client_for("analyst").get(_item_url(survey)).content.decode()
    assert "This school defines: first_generation." in body


@pytest.mark.django_db
def test_editing_an_item_keeps_its_place(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    before = _keys(survey.instrument)
    client = client_for("analyst")
    form = client.get(_item_url(survey, "con2"))
    assert form.status_code == 200
    assert "I feel part of a group that cares about my success." in form.content.decode()
    response = client.post(
        _item_url(survey, "con2"),
        {**LIKERT, "key": "con2", "text": "I belong to a group that cares.", "reverse": "on"},
    )
    assert response.status_code == 302
    instrument = _reloaded(survey)
    assert _keys(instrument) == before
    assert instrument.item("con2").text == "I belong to a group that cares."
    assert instrument.item("con2").reverse is True


@pytest.mark.django_db
def test_moving_items_within_and_across_sections(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    assert client.post(_builder(survey), {"action": "down", "key": "con1"}).status_code == 302
    assert _keys(_reloaded(survey))[0][:2] == ["con2", "con1"]
    assert client.post(_builder(survey), {"action": "up", "key": "con1"}).status_code == 302
    assert _keys(_reloaded(survey))[0][:2] == ["con1", "con2"]
    # the last item of section 1 moves down into the top of section 2
    assert client.post(_builder(survey), {"action": "down", "key": "aut4"}).status_code == 302
    keys = _keys(_reloaded(survey))
    assert keys[0][-1] == "aut3" and keys[1][0] == "aut4"
    # the very first item cannot move up: a message, nothing changed
    response = client.post(_builder(survey), {"action": "up", "key": "con1"})
    assert response.status_code == 400
    assert "cannot move further" in response.content.decode()
    assert _keys(_reloaded(survey)) == keys


@pytest.mark.django_db
def test_removing_items_and_sections(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    for key in ("voi1", "voi2", "voi3", "voi4"):
        assert client.post(_remove_url(survey, key)).status_code == 302
    instrument = _reloaded(survey)
    assert "voice" not in instrument.factors  # its last item went, so did the factor
    assert "growth" in instrument.clusters  # development still belongs to it
    titles = [t for t, _ in instrument.sections]
    index = titles.index("In your own words")
    response = client.post(
        _section_remove_url(survey, index), {"items": _section_keys(survey, index)}
    )
    assert response.status_code == 302
    instrument = _reloaded(survey)
    assert "In your own words" not in [t for t, _ in instrument.sections]
    assert not instrument.items_of_kind("text")


@pytest.mark.django_db
def test_renaming_and_moving_a_section(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    url = reverse("surveys:builder_section", args=[survey.pk, 0])
    assert client.post(url, {"title": "Belonging"}).status_code == 302
    assert _reloaded(survey).sections[0][0] == "Belonging"
    assert (
        client.post(_builder(survey), {"action": "section_down", "section": "0"}).status_code == 302
    )
    assert _reloaded(survey).sections[1][0] == "Belonging"


@pytest.mark.django_db
def test_title_and_version(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    fill(survey, 6)  # allowed after responses too
    client = client_for("analyst")
    url = reverse("surveys:builder_details", args=[survey.pk])
    key = survey.instrument_key
    response = client.post(url, {"key": key, "title": "Climate 2026", "version": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"key": key, "title": "Climate 2026", "version": "1.1"})
    assert response.status_code == 302
    instrument = _reloaded(survey)
    assert (instrument.title, instrument.version) == ("Climate 2026", "1.1")
    assert survey.instrument_version == "1.1"


@pytest.mark.django_db
def test_the_scale_and_its_favourable_values(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    url = reverse("surveys:builder_scale", args=[survey.pk, "agree5"])
    assert "4, 5" in client.get(url).content.decode()
    labels = "Strongly disagree\nDisagree\nNeutral\nAgree\nStrongly agree"
    response = client.post(url, {"labels": labels, "values": "1, 2, 3, 4, 5", "favourable": "5"})
    assert response.status_code == 302
    scale = _reloaded(survey).scales["agree5"]
    assert scale.favourable == frozenset({5}) and scale.labels[2] == "Neutral"
    response = client.post(url, {"labels": labels, "values": "", "favourable": "4, 6"})
    assert response.status_code == 400
    assert "6 not on the scale." in response.content.decode()
    response = client.post(url, {"labels": labels, "values": "1, 2, x", "favourable": "4"})
    assert "“x” is not a whole number." in response.content.decode()
    new = reverse("surveys:builder_scale_new", args=[survey.pk])
    response = client.post(new, {"key": "yes3", "labels": "No\nUnsure\nYes", "favourable": "3"})
    assert response.status_code == 302
    assert _reloaded(survey).scales["yes3"].values == (1, 2, 3)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"scale": ""}, "A Likert statement needs a scale."),
        ({"kind": "choice", "options": ""}, "List the options, one per line."),
        ({"kind": "demographic", "options": ""}, "Give the options, a school category, or both."),
        ({"key": "1st"}, "Use a letter first"),
        ({"key": "con1"}, "Another item already has the key “con1”."),
        ({"factor": "__new__"}, "Give the new factor a key."),
        ({"kind": "choice", "options": "Yes\nyes"}, "Each option may appear only once."),
        ({"section": "__new__"}, "Give the new section a title."),
    ],
)
def test_bad_input_is_named_on_its_field(
    client_for: Any, survey_factory: Any, change: dict[str, str], field_message: str
):
    survey = survey_factory()
    before = survey.instrument_text
    response = client_for("analyst").post(_item_url(survey), {**LIKERT, "section": "0", **change})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error-summary"' in body
    assert field_message in body
    survey.refresh_from_db()
    assert survey.instrument_text == before


@pytest.mark.django_db
def test_the_parsers_messages_are_shown(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    new = reverse("surveys:builder_scale_new", args=[survey.pk])
    client.post(new, {"key": "yes3", "labels": "No\nUnsure\nYes", "favourable": "3"})
    response = client.post(_item_url(survey), {**LIKERT, "section": "0", "scale": "yes3"})
    assert response.status_code == 400
    assert "factor &#x27;connection&#x27;" in response.content.decode()
    assert "mixes scales agree5, yes3" in response.content.decode()
    assert "con5" not in _reloaded(survey).factors


@pytest.mark.django_db
def test_breaking_changes_are_refused_once_responses_exist(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    fill(survey, 6)
    before = survey.instrument_text
    client = client_for("analyst")
    body = client.get(_builder(survey)).content.decode()
    assert "Responses exist" in body
    response = client.post(_remove_url(survey, "con1"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error-summary"' in body and "Remove item “con1”?" in body
    assert "Responses exist, so this change would break them" in body
    assert "item &#x27;con1&#x27;: has answers and cannot be removed or renamed." in body
    response = client.post(_item_url(survey), {**LIKERT, "section": "0"})
    assert response.status_code == 400
    assert "a new statement cannot be scored" in response.content.decode()
    response = client.post(_item_url(survey, "con1"), {**LIKERT, "key": "con1", "reverse": "on"})
    assert response.status_code == 400
    assert "its reverse cannot change from False to True" in response.content.decode()
    survey.refresh_from_db()
    assert survey.instrument_text == before
    # wording and order may still change
    response = client.post(
        _item_url(survey, "con1"),
        {**LIKERT, "key": "con1", "text": "I have colleagues to turn to."},
    )
    assert response.status_code == 302
    assert client.post(_builder(survey), {"action": "down", "key": "con1"}).status_code == 302
    instrument = _reloaded(survey)
    assert instrument.item("con1").text == "I have colleagues to turn to."
    assert _keys(instrument)[0][:2] == ["con2", "con1"]


@pytest.mark.django_db
def test_an_item_or_scale_keyed_new_can_still_be_edited(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    data = {"section": "0", "key": "new", "kind": "text", "text": "Anything new?"}
    assert client.post(_item_url(survey), data).status_code == 302
    response = client.get(_item_url(survey, "new"))
    assert "Anything new?" in response.content.decode()
    assert 'name="section"' not in response.content.decode()  # the edit form, not the add form


@pytest.mark.django_db
def test_unknown_items_sections_and_scales_are_404(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    client = client_for("analyst")
    assert client.get(_item_url(survey, "nope")).status_code == 404
    assert client.get(reverse("surveys:builder_section", args=[survey.pk, 99])).status_code == 404
    assert client.get(reverse("surveys:builder_scale", args=[survey.pk, "nope"])).status_code == 404
    assert client.get(reverse("surveys:builder", args=[survey.pk + 999])).status_code == 404


def _urls(survey: Any) -> list[str]:
    return [
        _builder(survey),
        _item_url(survey),
        _item_url(survey, "con1"),
        reverse("surveys:builder_section", args=[survey.pk, 0]),
        reverse("surveys:builder_scale", args=[survey.pk, "agree5"]),
        reverse("surveys:builder_scale_new", args=[survey.pk]),
        reverse("surveys:builder_details", args=[survey.pk]),
        reverse("surveys:builder_labels", args=[survey.pk]),
        _remove_url(survey, "con1"),
        _section_remove_url(survey, 0),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["analyst", "admin"])
def test_managers_reach_every_builder_screen(client_for: Any, survey_factory: Any, who: str):
    survey = survey_factory()
    client = client_for(who)
    for url in _urls(survey):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "viewer", "decider", "mentor", "outsider", None])
def test_other_roles_cannot_use_the_builder(client_for: Any, survey_factory: Any, who: Any):
    survey = survey_factory()
    before = survey.instrument_text
    client = client_for(who)
    refused = (302,) if who is None else (403, 404)  # anonymous: to the sign-in page
    for url in _urls(survey):
        assert client.get(url).status_code in refused, url
        data = {**LIKERT, "action": "remove", "key": "con1", "items": _section_keys(survey, 0)}
        status = client.post(url, data).status_code
        assert status in refused, url
    survey.refresh_from_db()
    assert survey.instrument_text == before


@pytest.mark.django_db
def test_the_instrument_key_changes_until_the_first_response(
    client_for: Any, survey_factory: Any
) -> None:
    survey = survey_factory()
    client = client_for("analyst")
    url = reverse("surveys:builder_details", args=[survey.pk])
    old = survey.instrument_key
    page = client.get(url).content.decode()
    assert f'value="{old}"' in page and "year over year" in page
    data = {"title": "Climate", "version": "1"}
    response = client.post(url, {**data, "key": "2nd"})
    assert response.status_code == 400
    assert "Use a letter first" in response.content.decode()
    assert client.post(url, {**data, "key": "climate_b"}).status_code == 302
    survey.refresh_from_db()
    assert _reloaded(survey).key == "climate_b" == survey.instrument_key
    assert "key: climate_b" in survey.instrument_text
    # Once responses exist the breaking-change rule refuses it, saying why
    fill(survey, 6)
    response = client.post(url, {**data, "key": "climate_c"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "instrument key: &#x27;climate_b&#x27; cannot become &#x27;climate_c&#x27;" in body
    assert "Year-over-year change and the survey indicators find earlier waves" in body
    survey.refresh_from_db()
    assert survey.instrument_key == "climate_b"
    # the same key with a new title is still fine
    assert client.post(url, {**data, "key": "climate_b", "title": "Climate II"}).status_code == 302
    assert _reloaded(survey).title == "Climate II"


@pytest.mark.django_db
def test_factor_and_cluster_labels(client_for: Any, survey_factory: Any) -> None:
    survey = survey_factory()
    fill(survey, 6)  # labels may change after responses: answers do not depend on them
    instrument = survey.instrument
    client = client_for("analyst")
    url = reverse("surveys:builder_labels", args=[survey.pk])
    page = client.get(url).content.decode()
    for factor in instrument.factors.values():
        assert f'value="{factor.label}"' in page
    data = {f"factor_{k}": f.label for k, f in instrument.factors.items()}
    data |= {f"cluster_{k}": label for k, label in instrument.clusters.items()}
    response = client.post(url, {**data, "factor_voice": "", "cluster_growth": "Growing"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(
        url, {**data, "factor_voice": "A say in decisions", "cluster_growth": "Growing"}
    )
    assert response.status_code == 302
    saved = _reloaded(survey)
    assert saved.factors["voice"].label == "A say in decisions"
    assert saved.factors["voice"].cluster == instrument.factors["voice"].cluster
    assert saved.clusters["growth"] == "Growing"
    assert [i.factor for i in saved.likert_items] == [i.factor for i in instrument.likert_items]
    # the YAML editor reads the same text back
    assert "A say in decisions" in survey.instrument_text
    # the results use the new labels
    from ristra.surveys.models import Survey
    from ristra.surveys.results import build_report

    report = build_report(Survey.objects.get(pk=survey.pk), breakdowns=False)
    labels = [r[0] for r in next(s for s in report.sections if s.key == "scores").rows]
    assert "A say in decisions" in labels and "Growing" in labels


@pytest.mark.django_db
def test_removing_an_item_asks_first(client_for: Any, survey_factory: Any) -> None:
    survey = survey_factory()
    before = survey.instrument_text
    client = client_for("analyst")
    page = client.get(_remove_url(survey, "voi4"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Remove item “voi4”?" in body
    assert survey.instrument.item("voi4").text in body
    assert '<form method="post"' in body and 'type="submit"' in body
    assert f'href="{_builder(survey)}"' in body  # Cancel goes back, changing nothing
    survey.refresh_from_db()
    assert survey.instrument_text == before  # showing the page removes nothing
    # the builder no longer removes without the confirmation step
    response = client.post(_builder(survey), {"action": "remove", "key": "voi4"})
    assert response.status_code == 400
    assert "voi4" in [k for ks in _keys(_reloaded(survey)) for k in ks]
    response = client.post(_remove_url(survey, "voi4"))
    assert response.status_code == 302 and response["Location"] == _builder(survey)
    assert "voi4" not in [k for ks in _keys(_reloaded(survey)) for k in ks]
    assert client.get(_remove_url(survey, "voi4")).status_code == 404
    assert client.post(_remove_url(survey, "nope")).status_code == 404


@pytest.mark.django_db
def test_the_confirmation_says_when_a_factor_goes_with_its_last_item(
    client_for: Any, survey_factory: Any
) -> None:
    survey = survey_factory()
    client = client_for("analyst")
    for key in ("voi1", "voi2", "voi3"):
        assert client.post(_remove_url(survey, key)).status_code == 302
    body = client.get(_remove_url(survey, "voi4")).content.decode()
    assert "It is the last statement of the factor" in body
    body = client.get(_remove_url(survey, "con1")).content.decode()
    assert "It is the last statement of the factor" not in body


@pytest.mark.django_db
def test_removing_a_section_asks_first(client_for: Any, survey_factory: Any) -> None:
    survey = survey_factory()
    before = survey.instrument_text
    client = client_for("analyst")
    index = [t for t, _ in survey.instrument.sections].index("Growing here")
    keys = survey.instrument.sections[index][1]
    page = client.get(_section_remove_url(survey, index))
    assert page.status_code == 200
    body = page.content.decode()
    assert f"Remove section {index + 1}, “Growing here”?" in body
    for key in keys:  # every item that would go with it, with its text
        assert f"<code>{key}</code>" in body
        assert survey.instrument.item(key).text in body
    # development and voice have no statement elsewhere, and growth has no other factor
    factors = survey.instrument.factors
    assert "These factors have no statement outside this section" in body
    for key in ("development", "voice"):
        assert f"<li>{factors[key].label} (<code>{key}</code>)</li>" in body
    assert "<code>connection</code>" not in body
    assert "These clusters are left without factors and go too:" in body
    assert f"<li>{survey.instrument.clusters['growth']} (<code>growth</code>)</li>" in body
    assert "Responses exist" not in body
    assert f'href="{_builder(survey)}"' in body  # Cancel goes back, changing nothing
    assert f'name="items" value="{" ".join(keys)}"' in body
    survey.refresh_from_db()
    assert survey.instrument_text == before  # showing the page removes nothing
    # the builder no longer removes a section without the confirmation step
    response = client.post(_builder(survey), {"action": "section_remove", "section": index})
    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.instrument_text == before
    response = client.post(_section_remove_url(survey, index), {"items": " ".join(keys)})
    assert response.status_code == 302 and response["Location"] == _builder(survey)
    instrument = _reloaded(survey)
    assert "Growing here" not in [t for t, _ in instrument.sections]
    assert not set(keys) & {item.key for item in instrument.items}
    assert "development" not in instrument.factors and "voice" not in instrument.factors
    assert "growth" not in instrument.clusters  # both of its factors went
    assert client.get(_section_remove_url(survey, 99)).status_code == 404
    assert client.post(_section_remove_url(survey, 99), {"items": "x"}).status_code == 404


@pytest.mark.django_db
def test_a_factor_with_a_statement_elsewhere_stays_with_its_cluster(
    client_for: Any, survey_factory: Any
) -> None:
    survey = survey_factory()
    client = client_for("analyst")
    # aut4, the last item of section 1, moves into section 2: authenticity keeps a statement
    assert client.post(_builder(survey), {"action": "down", "key": "aut4"}).status_code == 302
    body = client.get(_section_remove_url(survey, 0)).content.decode()
    assert "<code>aut1</code>" in body and "<code>aut4</code>" not in body
    assert "<code>connection</code>" in body and "<code>authenticity</code>" not in body
    assert "These clusters are left without factors" not in body  # belonging keeps one
    response = client.post(_section_remove_url(survey, 0), {"items": _section_keys(survey, 0)})
    assert response.status_code == 302
    instrument = _reloaded(survey)
    assert "connection" not in instrument.factors
    assert instrument.factors["authenticity"].cluster == "belonging"
    assert "belonging" in instrument.clusters
    assert _keys(instrument)[0][0] == "aut4"


@pytest.mark.django_db
def test_a_section_that_changed_since_the_page_was_shown_is_kept(
    client_for: Any, survey_factory: Any
) -> None:
    survey = survey_factory()
    client = client_for("analyst")
    shown = _section_keys(survey, 0)
    # meanwhile sections 1 and 2 swap places: position 0 now holds another section
    swap = client.post(_builder(survey), {"action": "section_down", "section": "0"})
    assert swap.status_code == 302
    before = _reloaded(survey).sections
    response = client.post(_section_remove_url(survey, 0), {"items": shown})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error-summary"' in body and "Section 1 has changed since the page was shown" in body
    assert "How people are treated" in body  # what position 0 holds now
    assert _reloaded(survey).sections == before
    assert client.post(_section_remove_url(survey, 0)).status_code == 400  # no keys: kept too
    assert _reloaded(survey).sections == before


@pytest.mark.django_db
def test_removing_a_section_is_refused_once_responses_exist(
    client_for: Any, survey_factory: Any
) -> None:
    survey = survey_factory()
    fill(survey, 6)
    before = survey.instrument_text
    client = client_for("analyst")
    index = [t for t, _ in survey.instrument.sections].index("In your own words")
    keys = survey.instrument.sections[index][1]
    body = client.get(_section_remove_url(survey, index)).content.decode()
    assert "Responses exist: a section whose items have answers cannot be removed" in body
    response = client.post(_section_remove_url(survey, index), {"items": " ".join(keys)})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error-summary"' in body
    assert f"Remove section {index + 1}, “In your own words”?" in body
    assert "Responses exist, so this change would break them" in body
    assert len(keys) == 2
    for key in keys:  # each offending item named, each on its own line of the summary
        problem = f"item &#x27;{key}&#x27;: has answers and cannot be removed or renamed."
        assert re.search(r"<li>\s*(<a [^>]*>)?\s*" + re.escape(problem), body), key
    survey.refresh_from_db()
    assert survey.instrument_text == before
