"""The standard reports: definitions rendered to screen, CSV, XLSX, PDF and JSON.

Each report is built from the analytics snapshot with the same code as the dashboards and
returns a :class:`~ristra.reports.published.Report`, so every number in it went through
small-cell suppression.  ``ristra report --list`` prints :data:`REPORTS`.

Decisions
---------
* **Offers and entrants** (the accreditor's former table): rows are the school-defined
  categories in effect for the population (a person may be in several, so rows do not add
  up and no row total is published; each column's "all" row is the total of everyone).
  Because the complement of a category ("not rural") is never published, primary
  suppression of each cell is enough here.  Faculty and senior administrative staff have
  no offers in the person record: their columns are hires (appointments begun).
* **Admissions transparency**: one row per applicant of the cycle (last academic year
  chosen), with GPA and MCAT quintiles computed among applicants who have a score, the
  socio-economic group (the record's stand-in for a family income band), Pell, first
  generation, round and program.  Applicants, admits (offered) and enrollees
  (matriculated) are nested, not a partition, so tables publish column totals only.
* **Workforce flows**: voluntary separations are resignation and retirement; involuntary
  are non-renewal and dismissal; other reasons (death, none recorded) are their own row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import ibis
import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ristra.analytics import suppression as sup
from ristra.reports import dashboards as d
from ristra.reports import published as pub
from ristra.reports.published import PublishedTable, Report


@dataclass(frozen=True)
class ReportDefinition:
    key: str
    title: Any
    description: Any
    population: str
    builder: Callable[[d.Filters, d.SnapshotSource], Report]
    #: False: built from the live database (links change without a new snapshot).
    cacheable: bool = True


# ------------------------------------------------------------------------------ helpers


def _school_keys(population: str) -> dict[str, str]:
    return d.school_category_labels(population)


def _yes_rows(
    source: d.SnapshotSource,
    filters: d.Filters,
    *,
    population: str,
    kinds: list[tuple[str, str]],
    years: list[int],
) -> tuple[list[str], list[list[int]], list[str]]:
    """Counts of people in each school category ("yes") and in all, per year and kind."""
    keys = _school_keys(population)
    if not keys:
        keys = {}
    columns = [f"{d._year_label(y)} · {label}" for y in years for _, label in kinds]  # noqa: SLF001
    labels: list[str] = []
    matrix: list[list[int]] = []
    spec = d.POPULATIONS[population]
    base = replace(filters, population=population)
    for key, label in [*keys.items(), ("", _("All"))]:
        dimension = d.SCHOOL_PREFIX + key if key else "sex"
        ctx = d._context(source, replace(base, dimension=dimension))  # noqa: SLF001
        frame = source.run(
            d.m.flows_by(
                ctx.stages,
                ctx.groups,
                kinds=[k for k, _ in kinds],
                years=range(min(years), max(years) + 1),
                dimension=d.column_name(dimension),
            )
        )
        if key:
            frame = frame.filter(pl.col("group") == "yes")
        sums = frame.group_by("year", "kind").agg(pl.col("people").sum())
        lookup = {(r["year"], r["kind"]): int(r["people"]) for r in sums.iter_rows(named=True)}
        labels.append(label)
        matrix.append([lookup.get((y, k), 0) for y in years for k, _ in kinds])
    del spec
    return labels, matrix, columns


def _primary_only_table(
    *,
    key: str,
    title: str,
    row_header: str,
    labels: list[str],
    columns: list[str],
    matrix: list[list[int]],
    policy: sup.SuppressionPolicy,
    summary: str,
    notes: tuple[str, ...] = (),
) -> PublishedTable:
    """Cells that are not parts of a published whole: each column suppressed on its own."""
    cells: list[list[int | None]] = [[0] * len(columns) for _ in labels]
    for j in range(len(columns)):
        published = sup.suppress_counts(
            {str(i): matrix[i][j] for i in range(len(labels))}, None, policy=policy
        )
        for i in range(len(labels)):
            cells[i][j] = published.values[str(i)]
    return pub.measured_table(
        key=key,
        title=title,
        columns=[pub.Column("label", row_header, "label")]
        + [pub.Column(f"c{j}", c, "count") for j, c in enumerate(columns)],
        rows=[[label, *row] for label, row in zip(labels, cells, strict=True)],
        summary=summary,
        policy=policy,
        notes=notes,
    )


# ------------------------------------------------------------------------------ 1 offers


def offers_and_entrants(filters: d.Filters, source: d.SnapshotSource) -> Report:
    years = list(range(filters.last_year - 2, filters.last_year + 1))
    plans = [
        (
            "applicants",
            [
                ("offer", _("offers made")),
                ("offer_declined", _("offers declined")),
                ("matriculation", _("entrants")),
            ],
        ),
        ("faculty", [("faculty_appointment", _("hires"))]),
        ("senior_admin", [("leadership_appointment", _("appointments begun"))]),
    ]
    sections = []
    for population, kinds in plans:
        labels, matrix, columns = _yes_rows(
            source, filters, population=population, kinds=kinds, years=years
        )
        pop_label = str(d.POPULATIONS[population].label)
        sections.append(
            _primary_only_table(
                key=f"offers_{population}",
                title=_("%(population)s: offers and entrants by school-defined category")
                % {"population": pop_label},
                row_header=_("Category"),
                labels=labels,
                columns=columns,
                matrix=matrix,
                policy=filters.policy,
                summary=_(
                    "People in each of the school's categories among %(what)s, academic years "
                    "%(y1)s to %(y2)s; a person may be in several categories."
                )
                % {
                    "what": ", ".join(str(label) for _, label in kinds),
                    "y1": d._year_label(years[0]),  # noqa: SLF001
                    "y2": d._year_label(years[-1]),  # noqa: SLF001
                },
            )
        )
    return Report(
        key="offers-entrants",
        title=_("Offers and entrants by school-defined category"),
        subtitle=_("Students, faculty and senior administrative staff, three academic years"),
        sections=tuple(sections),
        parameters=_parameters(filters, years),
        definitions=_category_definitions(filters, ("applicants", "faculty", "senior_admin")),
        quality=_snapshot_quality(source),
    )


def _parameters(filters: d.Filters, years: list[int]) -> tuple[tuple[str, str], ...]:
    return (
        (
            _("Academic years"),
            f"{d._year_label(years[0])} – {d._year_label(years[-1])}",  # noqa: SLF001
        ),
        (_("Smallest published count"), str(filters.min_cell)),
    )


def _category_definitions(
    filters: d.Filters, populations: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    from ristra.reports.services import category_set

    cats = category_set()
    if cats is None:
        return ()
    on = filters.version or filters.as_of
    out: list[tuple[str, str]] = []
    for population in populations:
        for key in cats.keys():  # noqa: SIM118 - a CategorySet, not a dict
            try:
                definition = cats.definition_for(key, population, on)
            except Exception:  # noqa: BLE001, S112 - not in effect for this population
                continue
            out.append(
                (
                    f"{definition.label} — {d.POPULATIONS[population].label} "
                    f"(v{definition.version})",
                    " ".join(definition.rule_text.split()),
                )
            )
    return tuple(out)


def _snapshot_quality(source: d.SnapshotSource) -> tuple[tuple[str, str], ...]:
    from django.utils import formats

    return (
        (_("Snapshot taken"), formats.date_format(source.created, "DATETIME_FORMAT")),
        (_("People in the record"), f"{source.persons:,}"),
    )


# ------------------------------------------------------------------------------ 2 admissions


def _applicants(source: d.SnapshotSource, cycle: int) -> pl.DataFrame:
    """One row per applicant of ``cycle`` with the flags and attributes reports break by."""
    stages = source.table("stages")
    rows = stages.filter(
        stages.kind.isin(["application", "offer", "matriculation"])
        & (stages.academic_year == cycle)
    )
    flags = rows.group_by("person_id").agg(
        applied=(rows.kind == "application").any(),
        admitted=(rows.kind == "offer").any(),
        enrolled=(rows.kind == "matriculation").any(),
    )
    flags = flags.filter(flags.applied)
    details = source.table("stage_details")
    apps = details.filter((details.kind == "application") & (details.academic_year == cycle))
    apps = apps.group_by("person_id").agg(
        program=apps.program.max(),
        round=apps["round"].max(),
        gpa=apps.gpa.max(),
        mcat=apps.mcat.max(),
    )
    groups = source.table("groups")
    ipeds = groups.filter(groups.dimension == "ipeds").select("person_id", ipeds="group")
    sex = groups.filter(groups.dimension == "sex").select("person_id", sex="group")
    answers = source.table("answers")

    def answer(dimension: str) -> Any:
        a = answers.filter(answers.dimension == dimension)
        value = ibis.ifelse(a.declined, ibis.literal("unknown"), a.codes[0].fill_null("unknown"))
        return a.select("person_id", **{dimension: value})

    table = flags
    for part in (apps, ipeds, sex, answer("pell"), answer("first_generation"), answer("ses_group")):
        table = table.left_join(part, "person_id").drop("person_id_right")
    with_gpa = table.filter(table.gpa.notnull())
    gpa_q = with_gpa.select(
        "person_id", gpa_q=(ibis.ntile(5).over(order_by=with_gpa.gpa) + 1).cast("string")
    )
    with_mcat = table.filter(table.mcat.notnull())
    mcat_q = with_mcat.select(
        "person_id", mcat_q=(ibis.ntile(5).over(order_by=with_mcat.mcat) + 1).cast("string")
    )
    table = table.left_join(gpa_q, "person_id").drop("person_id_right")
    table = table.left_join(mcat_q, "person_id").drop("person_id_right")
    frame = source.run(table)
    text_columns = [
        "program",
        "round",
        "ipeds",
        "sex",
        "pell",
        "first_generation",
        "ses_group",
        "gpa_q",
        "mcat_q",
    ]
    return frame.with_columns(
        pl.col(c).cast(pl.String).fill_null("unknown").replace("", "unknown") for c in text_columns
    )


def _outcome_table(
    frame: pl.DataFrame,
    *,
    by: str,
    labels: dict[str, str],
    key: str,
    title: str,
    header: str,
    policy: sup.SuppressionPolicy,
) -> PublishedTable:
    order = [g for g in labels if g in set(frame[by].to_list()) or g != "unknown"]
    extra = sorted(set(frame[by].to_list()) - set(order))
    order += extra
    steps = [("applied", _("Applicants")), ("admitted", _("Admits")), ("enrolled", _("Enrollees"))]
    matrix = [[int(frame.filter(pl.col(by) == g)[s].sum()) for s, _ in steps] for g in order]
    table = sup.suppress_table(matrix, policy=policy, row_totals=False, column_totals=True)
    totals = table.column_totals or []
    summary = _(
        "%(applicants)s applicants, %(admits)s admits and %(enrollees)s enrollees by %(by)s."
    ) % {
        "applicants": sup.format_cell(totals[0] if totals else None),
        "admits": sup.format_cell(totals[1] if totals else None),
        "enrollees": sup.format_cell(totals[2] if totals else None),
        "by": header,
    }
    return pub.cross_table(
        table,
        key=key,
        title=title,
        row_header=header,
        row_labels=[labels.get(g, g) for g in order],
        column_labels=[label for _, label in steps],
        summary=summary,
        percent_of=None,
    )


def admissions_transparency(filters: d.Filters, source: d.SnapshotSource) -> Report:
    from ristra.analytics import conventions as conv

    cycle = filters.last_year
    frame = _applicants(source, cycle)
    policy = filters.policy
    ipeds_labels = dict(conv.get_convention("ipeds").labels)
    ipeds_labels["unknown"] = _("Unknown or declined")
    sex_labels = {k: str(v) for k, v in d.SEX_LABELS.items()}
    sections: list[PublishedTable] = []
    for step, step_label in (
        ("applied", _("Applicants")),
        ("admitted", _("Admits")),
        ("enrolled", _("Enrollees")),
    ):
        part = frame.filter(pl.col(step))
        races = list(ipeds_labels)
        sexes = list(sex_labels)
        matrix = [
            [part.filter((pl.col("ipeds") == r) & (pl.col("sex") == s)).height for s in sexes]
            for r in races
        ]
        table = sup.suppress_table(matrix, policy=policy)
        sections.append(
            pub.cross_table(
                table,
                key=f"race_sex_{step}",
                title=_("%(step)s by race/ethnicity (IPEDS) and sex, %(cycle)s cycle")
                % {"step": step_label, "cycle": d._year_label(cycle)},  # noqa: SLF001
                row_header=_("Race/ethnicity"),
                row_labels=[ipeds_labels[r] for r in races],
                column_labels=[sex_labels[s] for s in sexes],
                summary=_("%(step)s in the %(cycle)s cycle: %(total)s.")
                % {
                    "step": step_label,
                    "cycle": d._year_label(cycle),  # noqa: SLF001
                    "total": sup.format_cell(table.grand_total),
                },
            )
        )
    quintiles = {str(i): _("Quintile %(n)d") % {"n": i} for i in range(1, 6)}
    quintiles["unknown"] = _("No score")
    yes_no = {"yes": _("Yes"), "no": _("No"), "unknown": _("Unknown or declined")}
    ses = {f"eo{i}": f"EO-{i}" for i in range(1, 6)} | {"unknown": _("Unknown or declined")}
    rounds = {
        "early_decision": _("Early decision"),
        "regular": _("Regular"),
        "unknown": _("Not recorded"),
    }
    programs = {p: p for p in sorted(set(frame["program"].to_list())) if p != "unknown"}
    programs["unknown"] = _("Not recorded")
    breakouts = [
        ("gpa_q", quintiles, _("GPA quintile")),
        ("mcat_q", quintiles, _("MCAT quintile")),
        ("ses_group", ses, _("Socio-economic group (family income)")),
        ("pell", yes_no, _("Pell grant")),
        ("first_generation", yes_no, _("First generation")),
        ("round", rounds, _("Application round")),
        ("program", programs, _("Program")),
    ]
    for column, labels, header in breakouts:
        sections.append(
            _outcome_table(
                frame,
                by=column,
                labels=labels,
                key=f"by_{column}",
                title=_("Applicants, admits and enrollees by %(by)s") % {"by": header},
                header=header,
                policy=policy,
            )
        )
    return Report(
        key="admissions-transparency",
        title=_("Admissions transparency"),
        subtitle=_("Applicants, admits and enrollees, %(cycle)s cycle")
        % {"cycle": d._year_label(cycle)},  # noqa: SLF001
        sections=tuple(sections),
        parameters=(
            (_("Admissions cycle"), d._year_label(cycle)),  # noqa: SLF001
            (_("Smallest published count"), str(filters.min_cell)),
        ),
        definitions=(
            (_("Race/ethnicity"), conv.get_convention("ipeds").description),
            (
                _("Quintiles"),
                _("GPA and MCAT quintiles are computed among the cycle's applicants with a score."),
            ),
            (
                _("Family income"),
                _(
                    "The record holds the AAMC socio-economic group (EO-1 to EO-5), shown in "
                    "place of a family income band."
                ),
            ),
        ),
        quality=_snapshot_quality(source),
        notes=(
            _(
                "Admits and enrollees are subsets of applicants; each table is protected on "
                "its own."
            ),
        ),
    )


# ------------------------------------------------------------------------------ 3 faculty


def faculty_composition(filters: d.Filters, source: d.SnapshotSource) -> Report:
    filters = replace(filters, population="faculty")
    ctx = d._context(source, filters)  # noqa: SLF001
    sections: list[PublishedTable] = []
    composition, published = d._composition_section(ctx)  # noqa: SLF001
    sections.append(composition)
    rank = _rank_section(ctx)
    sections.append(rank)
    intersection = d._intersection_section(ctx)  # noqa: SLF001
    if intersection is not None:
        sections.append(intersection)
    unit = d._unit_section(ctx)  # noqa: SLF001
    if unit is not None:
        sections.append(unit)
    return Report(
        key="faculty-composition",
        title=_("Faculty by rank, sex and category, and by department"),
        subtitle=_("Counted by %(dimension)s") % {"dimension": ctx.dimension_label},
        sections=tuple(sections),
        parameters=d._parameters(ctx),  # noqa: SLF001
        definitions=d._definitions(ctx),  # noqa: SLF001
        quality=d._quality(ctx, published),  # noqa: SLF001
    )


def _rank_section(ctx: d.Context) -> PublishedTable:
    f = ctx.filters
    frame = ctx.source.run(
        d.m.composition(
            ctx.stages,
            ctx.groups,
            kinds=ctx.spec.spells,
            dates=[f.as_of],
            dimension=d.column_name(f.dimension),
            by=("rank",),
        )
    ).with_columns(pl.col("rank").fill_null(""))
    ranks = [r for r in d.RANK_LABELS if r in set(frame["rank"].to_list())]
    return d._cross(  # noqa: SLF001
        ctx,
        frame,
        row_key="rank",
        row_labels=lambda r: str(d.RANK_LABELS[r]),
        rows=ranks,
        key="by_rank",
        title=_("%(population)s by rank and %(dimension)s") % d._names(ctx),  # noqa: SLF001
        row_header=_("Rank"),
        summary=lambda table, labels: (
            _("Representation by rank on %(date)s: %(total)s faculty.")
            % {"date": f.as_of.isoformat(), "total": sup.format_cell(table.grand_total)}
        ),
    )


# ------------------------------------------------------------------------------ 4 workforce


def workforce_flows(filters: d.Filters, source: d.SnapshotSource) -> Report:
    sections: list[PublishedTable] = []
    published: dict[str, int | None] = {}
    ctx = d._context(source, replace(filters, population="faculty"))  # noqa: SLF001
    sections.append(_rank_section(ctx))
    for population in ("faculty", "staff"):
        pctx = d._context(source, replace(filters, population=population))  # noqa: SLF001
        composition, pub_counts = d._composition_section(pctx)  # noqa: SLF001
        if population == "faculty":
            published = pub_counts
        sections.append(composition)
        sections += d._flow_sections(pctx)  # noqa: SLF001
        sections.append(_separation_reasons(pctx))
    return Report(
        key="workforce-flows",
        title=_("Workforce flows"),
        subtitle=_(
            "Representation by level, hires against current composition, promotions and separations"
        ),
        sections=tuple(sections),
        parameters=d._parameters(ctx),  # noqa: SLF001
        definitions=d._definitions(ctx),  # noqa: SLF001
        quality=d._quality(ctx, published),  # noqa: SLF001
        notes=(
            _(
                "Voluntary separations: resignation and retirement. Involuntary: non-renewal and "
                "dismissal."
            ),
        ),
    )


VOLUNTARY = ("resignation", "retirement")
INVOLUNTARY = ("non_renewal", "dismissal")


def _separation_reasons(ctx: d.Context) -> PublishedTable:
    f = ctx.filters
    stages = ctx.stages
    details = ctx.source.table("stage_details")
    seps = stages.filter(stages.kind == "separation")
    year = ibis.ifelse(
        seps.start_date.month() >= 7, seps.start_date.year(), seps.start_date.year() - 1
    ).cast("int64")
    seps = seps.select("person_id", year=year).filter(lambda t: t.year.isin(list(f.years)))
    reasons = (
        details.filter(details.kind == "separation")
        .group_by("person_id")
        .agg(reason=details.reason.max())
    )
    joined = seps.left_join(reasons, "person_id").drop("person_id_right")
    groups = ctx.groups
    joined = joined.left_join(groups, "person_id").drop("person_id_right")
    frame = ctx.source.run(
        joined.select("person_id", "year", "reason", group=joined.group.fill_null("unknown"))
    )
    frame = frame.with_columns(
        pl.when(pl.col("reason").is_in(VOLUNTARY))
        .then(pl.lit("voluntary"))
        .when(pl.col("reason").is_in(INVOLUNTARY))
        .then(pl.lit("involuntary"))
        .otherwise(pl.lit("other"))
        .alias("kind")
    )
    kinds = [
        ("voluntary", _("Voluntary")),
        ("involuntary", _("Involuntary")),
        ("other", _("Other or not recorded")),
    ]
    summarised = frame.group_by("kind", "group").agg(pl.col("person_id").n_unique().alias("count"))
    return d._cross(  # noqa: SLF001
        ctx,
        summarised,
        row_key="kind",
        row_labels=lambda k: str(dict(kinds)[k]),
        rows=[k for k, _ in kinds],
        key=f"separations_{ctx.filters.population}",
        title=_("%(population)s separations by reason and %(dimension)s") % d._names(ctx),  # noqa: SLF001
        row_header=_("Separation"),
        summary=lambda table, labels: (
            _("%(total)s separations from %(y1)s to %(y2)s.")
            % {
                "total": sup.format_cell(table.grand_total),
                "y1": d._year_label(f.first_year),  # noqa: SLF001
                "y2": d._year_label(f.last_year),  # noqa: SLF001
            }
        ),
    )


# ------------------------------------------------------------------------------ 5 annual


def _survey_results(filters: d.Filters, source: d.SnapshotSource) -> Report:
    from ristra.surveys.results import latest_published_report

    return latest_published_report(filters, source)


NARRATIVE = (
    gettext_lazy("A message from the office"),
    gettext_lazy("Highlights of the year"),
    gettext_lazy("Programs, partnerships and community engagement"),
    gettext_lazy("Looking ahead"),
)


def annual_report(filters: d.Filters, source: d.SnapshotSource) -> Report:
    sections: list[PublishedTable] = []
    for population in ("students", "residents", "faculty", "senior_admin", "staff"):
        ctx = d._context(source, replace(filters, population=population))  # noqa: SLF001
        composition, _published = d._composition_section(ctx)  # noqa: SLF001
        sections.append(composition)
        sections.append(d._trend_section(ctx))  # noqa: SLF001
    ctx = d._context(source, replace(filters, population="applicants"))  # noqa: SLF001
    sections += d._funnel_section(ctx)  # noqa: SLF001
    return Report(
        key="annual-report",
        title=_("Annual report"),
        subtitle=_("Academic year %(year)s") % {"year": d._year_label(filters.last_year)},  # noqa: SLF001
        sections=tuple(sections),
        parameters=d._parameters(ctx),  # noqa: SLF001
        definitions=d._definitions(ctx),  # noqa: SLF001
        quality=_snapshot_quality(source),
        narrative=tuple(str(n) for n in NARRATIVE),
    )


def _pathway_outcomes(filters: d.Filters, source: d.SnapshotSource) -> Report:
    from ristra.pathways.outcomes import catalog_builder

    return catalog_builder(filters, source)


REPORTS: dict[str, ReportDefinition] = {
    r.key: r
    for r in (
        ReportDefinition(
            "offers-entrants",
            gettext_lazy("Offers and entrants by school-defined category"),
            gettext_lazy(
                "Offers made, declined, and entrants or hires in each of the school's "
                "categories for students, faculty and senior administrative staff, three "
                "academic years (the layout the accreditor used until 2025)."
            ),
            "applicants",
            offers_and_entrants,
        ),
        ReportDefinition(
            "admissions-transparency",
            gettext_lazy("Admissions transparency"),
            gettext_lazy(
                "Applicants, admits and enrollees by race/ethnicity and sex, with breakouts by "
                "GPA and MCAT quintile, socio-economic group, Pell, first generation, round "
                "and program."
            ),
            "applicants",
            admissions_transparency,
        ),
        ReportDefinition(
            "faculty-composition",
            gettext_lazy("Faculty by rank, sex and category"),
            gettext_lazy("Faculty by rank, by rank x sex x category, and by department."),
            "faculty",
            faculty_composition,
        ),
        ReportDefinition(
            "workforce-flows",
            gettext_lazy("Workforce flows"),
            gettext_lazy(
                "Representation by level, hires against current composition, promotions, and "
                "voluntary and involuntary separations, for faculty and staff."
            ),
            "faculty",
            workforce_flows,
        ),
        ReportDefinition(
            "annual-report",
            gettext_lazy("Annual report"),
            gettext_lazy(
                "Every population's composition and trend and the admissions funnel, with "
                "charts and blank sections for the office's narrative. Best as PDF."
            ),
            "students",
            annual_report,
        ),
        ReportDefinition(
            "plan-progress",
            gettext_lazy("Strategic plan progress"),
            gettext_lazy(
                "The school's strategic plan: actions and their status, indicators with their "
                "latest published values, definitions, and the unit plans rolling up into it."
            ),
            "faculty",
            lambda filters, source: _plan_progress(),
            cacheable=False,  # actions and readings change without a new snapshot
        ),
        ReportDefinition(
            "pathway-outcomes",
            gettext_lazy("Pathway and support program outcomes"),
            gettext_lazy(
                "Per program and cohort: cohort yield (applied, admitted, matriculated, "
                "graduated, matched to residency; retention and graduation for support "
                "programs), applicant-level acceptance, years to each outcome, sessions "
                "attended against outcome, and the waitlist and other applicants for comparison."
            ),
            "applicants",
            _pathway_outcomes,
            cacheable=False,
        ),
        ReportDefinition(
            "survey-results",
            gettext_lazy("Climate survey results"),
            gettext_lazy(
                "The latest published climate survey: response rates, factor and cluster "
                "scores by group, gaps, change since the last wave, benchmark and comment "
                "themes."
            ),
            "faculty",
            _survey_results,
            cacheable=False,
        ),
    )
}


def _plan_progress() -> Report:
    from ristra.plans import selectors  # the plans app registers no measures here

    plan = selectors.top_plan()
    return selectors.plan_report(plan) if plan is not None else selectors.no_plan_report()


def build(key: str, filters: d.Filters, *, source: d.SnapshotSource | None = None) -> Report:
    """Build the standard report ``key`` (KeyError for an unknown key)."""
    definition = REPORTS[key]
    source = source or d.open_snapshot()

    def make() -> Report:
        report = definition.builder(filters, source)
        return replace(report, sections=_unique_keys(report.sections))

    if not definition.cacheable:
        return make()
    return d.cached(source, ("report", key, filters), make)


def _unique_keys(sections: tuple[PublishedTable, ...]) -> tuple[PublishedTable, ...]:
    """Section keys are anchors and sheet names: make repeated ones unique."""
    seen: dict[str, int] = {}
    out = []
    for section in sections:
        n = seen.get(section.key, 0)
        seen[section.key] = n + 1
        out.append(section if n == 0 else replace(section, key=f"{section.key}_{n + 1}"))
    return tuple(out)
