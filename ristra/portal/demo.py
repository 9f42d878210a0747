"""The fictional demo school's public site: ``seed_portal()`` (idempotent).

Every office, person, program and number here is invented for the "Sangre de Cristo School
of Medicine (fictional demo)". Pages are found by slug and left alone when they exist, so an
editor's changes survive a second run. Dates of news and events are relative to the day the
demo is loaded, so the site always has recent news and upcoming events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from ristra.portal.models import (
    Audience,
    DataPage,
    DirectoryEntry,
    DirectoryPage,
    EventIndexPage,
    EventPage,
    HomePage,
    NewsIndexPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    NewsPage,
    PolicyReview,
    PortalSettings,
    ProgramAudience,
    ProgramIndexPage,
    ProgramOutcome,
    ProgramPage,
    StandardPage,
    StoryIndexPage,
    StoryPage,
)

OFFICE_NAME = "Sangre de Cristo School of Medicine — Office of Diversity and Community Engagement"
HOME_SLUG = "sdc-public-site"
P = TypeVar("P", bound=Page)


def _p(*paragraphs: str) -> list[tuple[str, Any]]:
    return [("paragraph", f"<p>{text}</p>") for text in paragraphs]


def _rt(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


@dataclass
class SeedResult:
    created: int = 0
    home: HomePage | None = None


def _child(parent: Page, cls: type[P], slug: str, result: SeedResult, **fields: Any) -> P:
    existing = cls.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing
    page = cls(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    result.created += 1
    page.refresh_from_db()
    return page


def _home(result: SeedResult) -> HomePage:
    # Wagtail's migrations make the default locale and the tree's root; a flushed database
    # (transactional tests, 'manage.py flush') has neither.
    default = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)[0]
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=default))
    home = HomePage.objects.filter(slug=HOME_SLUG, locale=default).first()
    if home is None:
        home = HomePage(
            title="Diversity and Community Engagement",
            slug=HOME_SLUG,
            summary="Sangre de Cristo School of Medicine's office for diversity, equity, "
            "inclusion and community engagement (fictional demo).",
            intro=_rt(
                "The Sangre de Cristo School of Medicine (a fictional demo school) trains "
                "physicians and scientists for every community in its state, from the "
                "pueblos and ranching towns of the north to its growing cities.",
                "Our office supports students, residents, fellows, faculty and staff, runs "
                "pathway programs for future health professionals, and reports openly on "
                "who we recruit, admit, hire and promote.",
            ),
            show_in_menus=False,
        )
        root.add_child(instance=home)
        home.save_revision().publish()
        result.created += 1
    # The demo home is the public site's root; Wagtail's placeholder page goes.
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    elif site.root_page_id != home.pk:
        old = site.root_page
        site.root_page = home
        site.site_name = "Sangre de Cristo School of Medicine"
        site.save()
        if type(old.specific) is Page and not old.get_children().exists():
            old.delete()
    return home


def _settings(home: HomePage) -> None:
    site = Site.objects.get(root_page=home)
    ps = PortalSettings.for_site(site)
    if not ps.office_name:
        ps.office_name = "Office of Diversity and Community Engagement (fictional demo)"
        ps.office_email = "diversity@sdcmed.invalid"
        ps.phone = "(505) 555-0142"
        ps.address = "Sangre de Cristo School of Medicine\nHealth Sciences Hall, Room 210\n"
        ps.address += "1 Ristra Way, Santa Fe (fictional)"
        ps.save()


def _policies(home: HomePage, owner: Any, result: SeedResult) -> None:
    statement = _child(
        home,
        StandardPage,
        "diversity-statement",
        result,
        title="Diversity statement",
        show_in_menus=True,
        summary="The school's commitment to diversity, equity and inclusion, reviewed every "
        "two years.",
        body=_p(
            "The Sangre de Cristo School of Medicine is committed to excellence. Our mission "
            "will only be achieved by embracing and nurturing an environment of diversity, "
            "inclusiveness, equal opportunity and respect for the similarities and "
            "differences in our community.",
            "We strive to train a workforce that reflects the people of our state — including "
            "its Hispanic, American Indian and rural communities — and that is prepared to "
            "meet the needs of the diverse populations we serve.",
            "The school defines its own diversity categories for admissions and hiring: "
            "women, groups underrepresented in medicine in our state, a rural background, and "
            "economic disadvantage.",
        ),
        policy_owner=owner,
        review_cycle_months=24,
        last_reviewed=dt.date(2025, 3, 14),
    )
    if not statement.reviews.exists():
        for day, who, outcome in (
            (dt.date(2021, 2, 26), "Dean's Diversity Council", "Adopted."),
            (dt.date(2023, 3, 10), "Dean's Diversity Council", "Added rural background."),
            (dt.date(2025, 3, 14), "Dean's Diversity Council", "No changes."),
        ):
            PolicyReview.objects.create(
                page=statement, reviewed_on=day, reviewed_by=who, outcome=outcome
            )
    _child(
        home,
        StandardPage,
        "anti-racism-curriculum",
        result,
        title="Anti-racism and cultural humility requirement",
        show_in_menus=False,
        summary="Every medical student completes the program before clinical rotations.",
        body=_p(
            "All medical students complete the anti-racism and cultural humility program "
            "before their first clinical rotation. The program has four workshops and a "
            "community-based project.",
            "Completion is recorded by the Office of Medical Education and is required for "
            "promotion to the clinical years.",
        ),
        policy_owner=owner,
        review_cycle_months=12,
        last_reviewed=dt.date(2026, 1, 20),
    )
    _child(
        home,
        StandardPage,
        "action-plan",
        result,
        title="Our action plan",
        show_in_menus=True,
        summary="Five areas of work: faculty hiring, staff hiring, campus climate, "
        "professional training and curriculum design.",
        body=[
            ("heading", "Five areas of work"),
            *_p(
                "The Dean's Diversity Council sets goals in five areas and reports each year "
                "on the measures behind them."
            ),
            ("heading", "Faculty hiring"),
            *_p("Search committees complete training and use structured interviews."),
            ("heading", "Staff hiring"),
            *_p("Job descriptions are reviewed for barriers that do not serve the role."),
            ("heading", "Campus climate"),
            *_p("A climate survey every two years, with results published by group."),
            ("heading", "Professional training"),
            *_p("Workshops for faculty, residents and staff on inclusive teaching and care."),
            ("heading", "Curriculum design"),
            *_p("A curriculum review for bias in cases, images and examination questions."),
        ],
    )


DIRECTORY = [
    (
        Audience.MD_PROGRAM,
        "Office of Student Diversity Programs",
        "Advising, mentoring and community for medical students from every background.",
        "diversity-programs@sdcmed.invalid",
    ),
    (
        Audience.STUDENTS,
        "Diversity and Inclusion Student Council",
        "Student-led council that organises heritage months, forums and service days.",
        "disc@sdcmed.invalid",
    ),
    (
        Audience.STUDENTS,
        "First-Generation Student Network",
        "Peer mentoring and a lending library for first-generation students.",
        "firstgen@sdcmed.invalid",
    ),
    (
        Audience.INTERNATIONAL_STUDENTS,
        "Office for International Students and Scholars",
        "Visas, arrival and support for students and scholars from abroad.",
        "oiss@sdcmed.invalid",
    ),
    (
        Audience.RESIDENTS_FELLOWS,
        "GME Diversity, Equity and Inclusion Advisory Group",
        "Mentorship for residents and fellows, and a clearinghouse for inclusive recruitment.",
        "gme-dei@sdcmed.invalid",
    ),
    (
        Audience.RESIDENTS_FELLOWS,
        "Minority Medical Trainees Association",
        "Community and advocacy for residents and fellows underrepresented in medicine.",
        "mmta@sdcmed.invalid",
    ),
    (
        Audience.MANAGERS_EMPLOYEES,
        "Inclusive Hiring Consultations",
        "Help for managers writing job descriptions and running fair searches.",
        "hr-inclusion@sdcmed.invalid",
    ),
    (
        Audience.MANAGERS_EMPLOYEES,
        "Employee Resource Groups",
        "Groups for employees who share an identity or experience, open to allies.",
        "erg@sdcmed.invalid",
    ),
    (
        Audience.FACULTY,
        "Women in Academic Medicine",
        "Sponsorship, leadership development and a promotion workshop series.",
        "wiam@sdcmed.invalid",
    ),
    (
        Audience.FACULTY,
        "Faculty Development and Mentoring",
        "Mentoring committees for junior faculty and a grant-writing circle.",
        "faculty-dev@sdcmed.invalid",
    ),
]


def _directory(home: HomePage, result: SeedResult) -> None:
    page = _child(
        home,
        DirectoryPage,
        "offices",
        result,
        title="Offices and resources",
        show_in_menus=True,
        summary="Offices, organisations and resources for each part of our community.",
        intro=_rt(
            "Many offices and groups support diversity and inclusion at the school. "
            "Choose who you are to see the ones for you."
        ),
    )
    if not page.entries.exists():
        for order, (audience, name, description, email) in enumerate(DIRECTORY):
            DirectoryEntry.objects.create(
                page=page,
                sort_order=order,
                audience=audience,
                name=name,
                description=description,
                email=email,
            )


def _programs(home: HomePage, result: SeedResult, today: dt.date) -> ProgramPage:
    index = _child(
        home,
        ProgramIndexPage,
        "programs",
        result,
        title="Pathway programs",
        show_in_menus=True,
        summary="Summer and year-round programs for future health professionals.",
        intro=_rt(
            "Our pathway programs welcome high school, college and medical students "
            "who want to serve the communities of our state."
        ),
    )
    year = today.year + 1
    summer = _child(
        index,
        ProgramPage,
        "summer-health-careers-academy",
        result,
        title="Summer Health Careers Academy",
        summary="Six weeks of hands-on science, clinical shadowing and mentoring for high "
        "school students.",
        audience=ProgramAudience.HIGH_SCHOOL,
        grade_level="Grades 10-12",
        eligibility=_rt(
            "Students in grades 10 to 12 at a school in our state, with an "
            "interest in health careers. No grade minimum; we read every "
            "application as a whole."
        ),
        start_date=dt.date(year, 6, 8),
        end_date=dt.date(year, 7, 17),
        application_deadline=dt.date(year, 3, 1),
        length="Six weeks",
        stipend=Decimal("1500"),
        cost=Decimal("0"),
        cost_note="Free; lunch and transport provided",
        how_to_apply=_rt(
            "Apply online with a short essay and one recommendation from a teacher or counselor."
        ),
        apply_url="https://sdcmed.invalid/apply/summer-academy",
        applications_open=True,
    )
    if not summer.outcomes.exists():
        for order, (measure, value, cohorts) in enumerate(
            (
                ("Enrolled in college within a year of high school", "88%", "2019-2023"),
                ("Applied to a health professions school", "31%", "2015-2019"),
                ("Matriculated at Sangre de Cristo School of Medicine", "24 people", "2012-2020"),
            )
        ):
            ProgramOutcome.objects.create(
                page=summer,
                sort_order=order,
                measure=measure,
                value=value,
                cohorts=cohorts,
                source="Program follow-up survey and school records (fictional)",
            )
    _child(
        index,
        ProgramPage,
        "premedical-scholars-bridge",
        result,
        title="Pre-Medical Scholars Bridge",
        summary="A year of MCAT preparation, advising and research for post-baccalaureate "
        "students from rural and low-income backgrounds.",
        audience=ProgramAudience.POST_BACCALAUREATE,
        grade_level="College graduates",
        eligibility=_rt(
            "A bachelor's degree, residence in our state, and a rural background "
            "or economic disadvantage as the school defines them."
        ),
        start_date=dt.date(year, 8, 3),
        end_date=dt.date(year + 1, 5, 21),
        application_deadline=dt.date(year, 4, 15),
        length="Ten months",
        stipend=Decimal("18000"),
        cost=Decimal("0"),
        how_to_apply=_rt("Apply online; finalists are interviewed in May."),
        apply_url="https://sdcmed.invalid/apply/bridge",
    )
    _child(
        index,
        ProgramPage,
        "rural-medicine-pathway",
        result,
        title="Rural Medicine Pathway",
        summary="Clinical training in rural clinics across four years of medical school.",
        audience=ProgramAudience.MEDICAL_STUDENTS,
        grade_level="First-year medical students",
        eligibility=_rt(
            "Medical students at the school who intend to practice in a rural community."
        ),
        length="Four years",
        how_to_apply=_rt(
            "Apply in the spring of the first year through the Office of Medical Education."
        ),
    )
    return summer


NEWS = [
    (
        3,
        "School recognised for excellence in diversity",
        ["awards", "recognition"],
        "A national magazine recognised the school for its mentoring, hiring and retention work.",
    ),
    (
        12,
        "Anti-racism program completes its fifth year",
        ["curriculum", "students"],
        "More than 500 students have completed the program before their clinical rotations.",
    ),
    (
        25,
        "New mentorship cohort for residents and fellows",
        ["gme", "mentoring"],
        "Sixty residents, fellows and faculty mentors begin the GME mentorship program.",
    ),
    (
        40,
        "Summer Health Careers Academy applications open",
        ["pathways", "high school"],
        "High school students in grades 10 to 12 can apply until March 1.",
    ),
    (
        70,
        "Climate survey results published",
        ["climate", "data"],
        "Results by group are on the data page, with small groups protected.",
    ),
]


def _news(home: HomePage, result: SeedResult, today: dt.date) -> None:
    index = _child(
        home,
        NewsIndexPage,
        "news",
        result,
        title="News",
        show_in_menus=True,
        summary="News from the office.",
    )
    for days, title, tags, summary in NEWS:
        slug = title.lower().replace(" ", "-")[:50].strip("-")
        page = NewsPage.objects.child_of(index).filter(slug=slug).first()
        if page is not None:
            continue
        page = NewsPage(
            title=title,
            slug=slug,
            date=today - dt.timedelta(days=days),
            summary=summary,
            body=_p(summary, "This is a fictional news item in the Ristra demo."),
        )
        index.add_child(instance=page)
        page.tags.add(*tags)
        page.save_revision().publish()
        result.created += 1


STORIES = [
    (
        "a-ristra-for-the-office",
        "A ristra for the office",
        "Dr. Alma Quintana (fictional)",
        "Professor of Family Medicine",
        "Dr. Quintana talks about the chile ristra her department gave the office.",
    ),
    (
        "from-the-academy-to-residency",
        "From the summer academy to residency",
        "Dr. Tomás Yazzie (fictional)",
        "Resident in Internal Medicine",
        "Dr. Yazzie first came to the school as a tenth-grader in the summer academy.",
    ),
    (
        "humanism-in-medicine",
        "Humanism in medicine",
        "Dr. Renée Okafor (fictional)",
        "Associate Professor of Pediatrics",
        "Dr. Okafor on the award that recognised her care for families in rural clinics.",
    ),
]


def _stories(home: HomePage, result: SeedResult) -> None:
    index = _child(
        home,
        StoryIndexPage,
        "stories",
        result,
        title="Stories",
        show_in_menus=True,
        summary="People of our community, in their own words.",
    )
    for slug, title, person, role, summary in STORIES:
        _child(
            index,
            StoryPage,
            slug,
            result,
            title=title,
            person_name=person,
            person_role=role,
            summary=summary,
            body=[
                *_p(summary),
                (
                    "quote",
                    {
                        "quote": "Our patients should see themselves in their doctors.",
                        "attribution": person,
                    },
                ),
            ],
        )


def _events(home: HomePage, result: SeedResult, now: dt.datetime, program: ProgramPage) -> None:
    index = _child(
        home,
        EventIndexPage,
        "events",
        result,
        title="Events",
        show_in_menus=True,
        summary="Workshops, forums and celebrations.",
    )
    base = now.replace(hour=17, minute=0, second=0, microsecond=0)
    for slug, title, days, hours, location, summary, linked in (
        (
            "summer-academy-information-night",
            "Summer academy information night",
            10,
            1.5,
            "Health Sciences Hall, Room 101",
            "Meet past participants and ask about applying.",
            True,
        ),
        (
            "inclusive-teaching-workshop",
            "Inclusive teaching workshop",
            17,
            2,
            "Online",
            "For faculty, residents and staff who teach.",
            False,
        ),
        (
            "heritage-month-community-forum",
            "Heritage month community forum",
            31,
            2,
            "Community Room, Fitz Hall",
            "A conversation with community health workers.",
            False,
        ),
        (
            "white-coat-family-reception",
            "White coat family reception",
            -20,
            2,
            "Main Atrium",
            "For incoming students and their families.",
            False,
        ),
    ):
        start = base + dt.timedelta(days=days)
        _child(
            index,
            EventPage,
            slug,
            result,
            title=title,
            summary=summary,
            start=start,
            end=start + dt.timedelta(hours=hours),
            location=location,
            program=program if linked else None,
            registration_open=linked,
            registration_url="" if linked else "https://sdcmed.invalid/register/" + slug,
        )


def _newsletter(home: HomePage, result: SeedResult, today: dt.date) -> None:
    archive = _child(
        home,
        NewsletterIndexPage,
        "newsletter",
        result,
        title="Newsletter",
        show_in_menus=True,
        summary="A monthly e-mail with our news and events.",
        intro=_rt("Every month: news, programs and events from the office."),
    )
    if not NewsletterIssuePage.objects.child_of(archive).exists():
        issue = NewsletterIssuePage(
            title=f"Newsletter, {today.strftime('%B %Y')}",
            slug=f"issue-{today:%Y-%m}",
            issue_date=today,
            summary="News and events from the office.",
            intro=_rt("Welcome to this month's newsletter."),
        )
        archive.add_child(instance=issue)
        issue.news.set(NewsPage.objects.live().order_by("-date")[:3])
        issue.events.set(EventPage.objects.live().filter(start__gte=timezone.now())[:3])
        issue.save_revision().publish()
        result.created += 1


def _translate(home: HomePage, result: SeedResult) -> None:
    """A Spanish home page and diversity statement (the rest falls back to English)."""
    es, _created = Locale.objects.get_or_create(language_code="es")
    if home.get_translation_or_none(es) is None:
        home_es = home.copy_for_translation(es)
        home_es.title = "Diversidad y participación comunitaria"
        home_es.summary = (
            "La oficina de diversidad, equidad, inclusión y participación comunitaria de la "
            "Escuela de Medicina Sangre de Cristo (demostración ficticia)."
        )
        home_es.intro = _rt(
            "La Escuela de Medicina Sangre de Cristo (una escuela ficticia de demostración) "
            "forma médicos y científicos para todas las comunidades de su estado.",
            "Nuestra oficina apoya a estudiantes, residentes, profesores y personal, y ofrece "
            "programas para futuros profesionales de la salud.",
        )
        home_es.save_revision().publish()
        result.created += 1
    statement = StandardPage.objects.filter(slug="diversity-statement", locale=home.locale).first()
    if statement is not None and statement.get_translation_or_none(es) is None:
        st_es = statement.copy_for_translation(es)
        st_es.title = "Declaración de diversidad"
        st_es.summary = "El compromiso de la escuela con la diversidad, revisado cada dos años."
        st_es.body = _p(
            "La Escuela de Medicina Sangre de Cristo está comprometida con la excelencia. "
            "Nuestra misión solo se logrará acogiendo un ambiente de diversidad, inclusión, "
            "igualdad de oportunidades y respeto.",
        )
        st_es.save_revision().publish()
        result.created += 1


def _editors() -> None:
    """Demo staff who edit the site: the administrator moderates, the manager edits.

    Moderators also read the newsletter's subscribers and the contact messages (personal
    data: Editors do not).
    """
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        moderators.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="portal",
                codename__in=[
                    "view_subscriber",
                    "change_subscriber",
                    "view_contactmessage",
                    "view_delivery",
                    "view_registration",
                ],
            )
        )
    users = get_user_model().objects
    for username, group in (("admin", "Moderators"), ("manager", "Editors")):
        user = users.filter(username=username).first()
        grp = Group.objects.filter(name=group).first()
        if user is not None and grp is not None:
            user.groups.add(grp)


def seed_portal(*, today: dt.date | None = None) -> SeedResult:
    """Build (or complete) the demo school's public site; safe to run again."""
    result = SeedResult()
    now = timezone.now()
    today = today or timezone.localdate()
    owner = get_user_model().objects.filter(username="admin").first()
    with transaction.atomic():
        home = _home(result)
        _settings(home)
        _policies(home, owner, result)
        _directory(home, result)
        summer = _programs(home, result, today)
        _news(home, result, today)
        _stories(home, result)
        _events(home, result, now, summer)
        _newsletter(home, result, today)
        _child(
            home,
            DataPage,
            "data",
            result,
            title="Our community in numbers",
            show_in_menus=True,
            summary="Who studies, trains and teaches at the school, from the school's records.",
            intro=_rt(
                "These tables come from the same published figures the office uses "
                "internally. Small numbers are hidden to protect privacy."
            ),
        )
        _translate(home, result)
        _editors()
    result.home = home
    return result
