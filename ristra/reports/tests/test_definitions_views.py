"""The category and benchmark screens: access, versions, the rule check, uploads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ristra.audit.models import AuditEvent
from ristra.people.models import Person, SelfIdentification, Stage
from ristra.reports.models import Benchmark, Category

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ristra.reports.tests.urls_for_tests")]

GOOD_CSV = (
    "geography,year,age_band,sex,dimension,group,count\n"
    "NM,2020,all,all,hispanic,yes,1008000\n"
    "NM,2020,all,all,hispanic,no,1092000\n"
    "NM,2020,all,all,hispanic,total,2100000\n"
)
BAD_CSV = (
    "geography,year,age_band,sex,dimension,group,count\n"
    "NM,2020,all,all,hispanic,yes,1008000\n"
    "NM,2020,all,all,hispanic,no,lots\n"
    "NM,20x0,all,all,hispanic,total,2100000\n"
)
READERS = ["admin", "analyst", "manager", "viewer"]
WRITERS = ["admin", "analyst"]
EVERYONE = ["admin", "analyst", "manager", "viewer", "decider", "decider_admin", "outsider"]


def today() -> dt.date:
    return timezone.localdate()


def make_category(**extra: Any) -> Category:
    values: dict[str, Any] = {
        "key": "first_generation",
        "label": "First generation",
        "population": "*",
        "rule_text": 'first_generation == "yes"',
        "effective_from": dt.date(2020, 7, 1),
        "version": 1,
    }
    values.update(extra)
    return Category.objects.create(**values)


def make_benchmark() -> Benchmark:
    from ristra.reports.services import benchmark_import

    return benchmark_import(
        content=GOOD_CSV.encode(),
        filename="nm.csv",
        name="NM 2020",
        source="Census table P9",
        citation="U.S. Census Bureau, 2020 Census, table P9.",
    )


def category_data(**extra: Any) -> dict[str, Any]:
    data = {
        "key": "rural",
        "label": "Rural background",
        "population": "*",
        "rule_text": 'state == "NM" and county_fips not in ("35001", "35043")',
        "description": "",
        "effective_from": "2020-07-01",
    }
    data.update(extra)
    return data


# ------------------------------------------------------------------------------ access
def _read_urls() -> list[str]:
    bench = make_benchmark()
    return [
        reverse("reports:categories"),
        reverse("reports:benchmarks"),
        reverse("reports:benchmark_detail", args=[bench.pk]),
    ]


def _write_urls() -> list[str]:
    future = make_category(
        key="women", label="Women", rule_text='sex == "female"', effective_from=dt.date(2999, 1, 1)
    )
    return [
        reverse("reports:category_new"),
        reverse("reports:category_version", args=[future.pk]),
        reverse("reports:category_edit", args=[future.pk]),
        reverse("reports:benchmark_new"),
    ]


@pytest.mark.parametrize("who", EVERYONE)
def test_it_lets_only_staff_without_the_wall_read_the_lists(client_for: Any, who: str) -> None:
    urls = _read_urls()
    client = client_for(who)
    expected = 200 if who in READERS else 403
    for url in urls:
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize("who", EVERYONE)
def test_it_lets_only_administrators_and_analysts_define(client_for: Any, who: str) -> None:
    urls = _write_urls()
    client = client_for(who)
    expected = 200 if who in WRITERS else 403
    for url in urls:
        assert client.get(url).status_code == expected, url
    check = client.post(reverse("reports:category_check"), {"rule_text": "true"})
    assert check.status_code == expected
    refused = client.post(reverse("reports:category_new"), category_data())
    assert refused.status_code in {302, 403}
    assert Category.objects.filter(key="rural").exists() == (who in WRITERS)


def test_it_sends_anonymous_visitors_to_sign_in(client_for: Any) -> None:
    client = client_for(None)
    for url in [*_read_urls(), *_write_urls()]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("reports:category_check"), {"rule_text": "true"})
    assert response.status_code == 302


def test_it_hides_the_buttons_from_readers(client_for: Any) -> None:
    make_category(effective_from=dt.date(2999, 1, 1))
    page = client_for("viewer").get(reverse("reports:categories")).content.decode()
    assert "First generation" in page and "first_generation == &quot;yes&quot;" in page
    assert reverse("reports:category_new") not in page
    assert "/edit/" not in page and "new-version" not in page


def test_the_check_endpoint_refuses_get(client_for: Any) -> None:
    assert client_for("analyst").get(reverse("reports:category_check")).status_code == 405


# ------------------------------------------------------------------------------ versions
def test_it_creates_a_category_then_a_version_that_ends_the_old_one(client_for: Any) -> None:
    client = client_for("analyst")
    response = client.post(reverse("reports:category_new"), category_data())
    assert response.status_code == 302
    first = Category.objects.get(key="rural")
    assert first.created_by is not None and first.created_by.username == "bob"
    assert (first.version, first.effective_to) == (1, None)

    form = client.get(reverse("reports:category_version", args=[first.pk])).content.decode()
    assert "county_fips not in" in form  # prefilled from the current version
    start = today() + dt.timedelta(days=30)
    rule = 'state == "NM" and county_fips not in ("35001", "35043", "35049")'
    response = client.post(
        reverse("reports:category_version", args=[first.pk]),
        category_data(
            rule_text=rule, effective_from=start.isoformat(), key="x", population="staff"
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    first.refresh_from_db()
    second = Category.objects.get(key="rural", version=2)
    assert first.effective_to == start - dt.timedelta(days=1)
    assert (second.population, second.rule_text, second.effective_to) == ("*", rule, None)
    assert AuditEvent.objects.filter(object_type="category").count() == 2

    page = client.get(reverse("reports:categories")).content.decode()
    assert reverse("reports:category_edit", args=[second.pk]) in page  # not yet in effect
    assert reverse("reports:category_edit", args=[first.pk]) not in page


def test_it_refuses_a_new_version_that_starts_in_the_past(client_for: Any) -> None:
    first = make_category()
    response = client_for("admin").post(
        reverse("reports:category_version", args=[first.pk]),
        category_data(effective_from=(today() - dt.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    assert "today at the earliest" in response.content.decode()
    first.refresh_from_db()
    assert first.effective_to is None and Category.objects.count() == 1


def test_it_refuses_to_edit_a_version_that_has_taken_effect(client_for: Any) -> None:
    current = make_category()
    client = client_for("admin")
    response = client.post(
        reverse("reports:category_edit", args=[current.pk]),
        category_data(rule_text="true", effective_from="2999-01-01"),
    )
    assert response.status_code == 302
    current.refresh_from_db()
    assert current.rule_text == 'first_generation == "yes"'
    page = client.get(response["Location"]).content.decode()
    assert "cannot be changed" in page


def test_it_edits_a_future_version_and_moves_the_end_of_the_one_before(client_for: Any) -> None:
    first = make_category(effective_to=dt.date(2998, 12, 31))
    future = make_category(version=2, effective_from=dt.date(2999, 1, 1))
    response = client_for("analyst").post(
        reverse("reports:category_edit", args=[future.pk]),
        category_data(
            label="First generation (new)", rule_text="true", effective_from="2999-03-01"
        ),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    future.refresh_from_db()
    assert (future.key, future.label, future.rule_text) == (
        "first_generation",
        "First generation (new)",
        "true",
    )
    assert first.effective_to == dt.date(2999, 2, 28)


def test_it_refuses_a_second_first_version_of_a_key(client_for: Any) -> None:
    make_category(key="rural", rule_text="true")
    response = client_for("admin").post(reverse("reports:category_new"), category_data())
    assert response.status_code == 200
    assert "add a new version" in response.content.decode()
    assert Category.objects.count() == 1


def test_it_adds_a_population_variant_from_today_on(client_for: Any) -> None:
    make_category(key="women", rule_text='sex == "female"')
    client = client_for("admin")
    past = category_data(key="women", population="faculty", rule_text='sex == "female"')
    assert client.post(reverse("reports:category_new"), past).status_code == 200
    past["effective_from"] = today().isoformat()
    assert client.post(reverse("reports:category_new"), past).status_code == 302
    assert Category.objects.get(key="women", population="faculty").version == 1


# ------------------------------------------------------------------------------ rule check
def test_it_explains_a_bad_rule_with_line_column_and_caret(client_for: Any) -> None:
    client = client_for("analyst")
    rule = 'first_generation == "yes"\nor countyfips == "35001"'
    fragment = client.post(reverse("reports:category_check"), {"rule_text": rule})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert 'role="alert"' in html
    assert "line 2, column 4" in html
    assert "did you mean &#x27;county_fips&#x27;?" in html
    assert "^^^^^^^^^^" in html
    assert "<html" not in html  # a fragment, not the page

    response = client.post(reverse("reports:category_new"), category_data(rule_text=rule))
    page = response.content.decode()
    assert response.status_code == 200 and not Category.objects.exists()
    assert "The rule cannot be used" in page and "line 2, column 4" in page
    assert 'aria-describedby="id_rule_text_helptext rule-check id_rule_text-error' in page
    assert "^^^^^^^^^^" in page


def _person(n: int, **answers: list[str]) -> Person:
    person = Person.objects.create(given_name=f"P{n}", family_name="Test")
    for dimension, codes in answers.items():
        SelfIdentification.objects.record_answer(
            person=person,
            dimension=dimension,
            codes=codes,
            source="test",
            reported_on=dt.date(2024, 1, 1),
        )
    return person


def test_the_check_counts_the_record_and_hides_small_counts(client_for: Any) -> None:
    for n in range(30):
        _person(n, first_generation=["yes"])
    for n in range(30, 50):
        _person(n, first_generation=["no"])
    for n in range(50, 53):
        _person(n)
    fragment = client_for("analyst").post(
        reverse("reports:category_check"), {"rule_text": 'first_generation == "yes"'}
    )
    html = fragment.content.decode()
    assert "Rule is valid." in html
    assert "yes: 30" in html
    assert "unknown (an answer the rule needs is missing or declined): hidden" in html
    assert "no: 20" not in html  # hidden too, or the 3 could be worked out from the total
    assert ": 3<" not in html and ": 3\n" not in html


def test_the_check_counts_only_the_population_asked_about(client_for: Any) -> None:
    for n in range(15):
        person = _person(n, sex=["female"])
        Stage.objects.create(
            person=person,
            kind="faculty_appointment",
            start_date=dt.date(2010, 1, 1),
            key=f"faculty-{n}",
        )
    for n in range(15, 40):
        _person(n, sex=["male"])
    client = client_for("admin")
    html = client.post(
        reverse("reports:category_check"),
        {"rule_text": 'sex == "female"', "population": "faculty"},
    ).content.decode()
    assert "yes: 15" in html and "no: 0" in html
    everyone = client.post(
        reverse("reports:category_check"), {"rule_text": 'sex == "female"', "population": "*"}
    ).content.decode()
    assert "yes: 15" in everyone and "no: 25" in everyone
    assert "protected answers (sex)" in everyone


def test_the_check_button_works_without_javascript(client_for: Any) -> None:
    response = client_for("analyst").post(
        reverse("reports:category_new"), category_data(rule_text="true", check="1")
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Rule is valid." in page
    assert not Category.objects.exists()


# ------------------------------------------------------------------------------ benchmarks
def upload(client: Any, content: str, **extra: Any) -> Any:
    data = {
        "file": SimpleUploadedFile("nm.csv", content.encode(), content_type="text/csv"),
        "name": "New Mexico 2020",
        "source": "U.S. Census Bureau, table P9",
        "citation": "U.S. Census Bureau (2021). 2020 Census Redistricting Data, table P9.",
        "url": "https://data.census.gov/",
    }
    data.update(extra)
    return client.post(reverse("reports:benchmark_new"), data)


def test_it_loads_a_good_benchmark_and_shows_its_rows(client_for: Any) -> None:
    client = client_for("analyst")
    response = upload(client, GOOD_CSV)
    benchmark = Benchmark.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:benchmark_detail", args=[benchmark.pk])
    assert (benchmark.rows, benchmark.geographies, benchmark.years) == (3, ["NM"], [2020])
    assert benchmark.uploaded_by is not None and benchmark.uploaded_by.username == "bob"
    page = client_for("viewer").get(response["Location"]).content.decode()
    assert "2020 Census Redistricting Data, table P9." in page
    assert "1,008,000" in page and "2,100,000" in page
    assert "no small-cell suppression" in page
    listing = client.get(reverse("reports:benchmarks")).content.decode()
    assert "New Mexico 2020" in listing and "hispanic" in listing


def test_it_lists_every_problem_of_a_bad_file_and_keeps_the_form(client_for: Any) -> None:
    response = upload(client_for("analyst"), BAD_CSV)
    page = response.content.decode()
    assert response.status_code == 200
    assert not Benchmark.objects.exists()
    assert "Problems in the file" in page
    assert "lots" in page and "20x0" in page  # each failing value, in its row
    assert "<td>count</td>" in page and "<td>year</td>" in page
    assert 'value="New Mexico 2020"' in page  # what was typed is kept


def test_it_refuses_a_file_that_is_not_csv_or_xlsx(client_for: Any) -> None:
    client = client_for("admin")
    data = {"file": SimpleUploadedFile("nm.pdf", b"%PDF-1.4")}
    response = upload(client, GOOD_CSV, **data)
    assert response.status_code == 200 and "Upload a CSV or XLSX file." in response.content.decode()
    assert not Benchmark.objects.exists()
