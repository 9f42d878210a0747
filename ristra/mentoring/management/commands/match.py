"""``ristra match <cycle-id> --policy stable|welfare|rank|hybrid [--dry-run]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.analytics import matching as core
from ristra.mentoring import selectors, services
from ristra.mentoring.models import Cycle

WHY = {
    "no_acceptable_mentor": "no mentor meets their must-match criteria",
    "all_candidates_forbidden": "every suitable mentor is excluded or forbidden",
    "capacity_exhausted": "the suitable mentors' seats were all taken",
}


def quality_lines(policy: str, quality: core.Quality, names: dict[str, str]) -> list[str]:
    def share(x: float) -> str:
        return f"{100 * x:.1f}%"

    lines = [
        f"policy: {policy}",
        f"  mentees matched:           {quality.matched} of {quality.mentees}",
        f"  total score:               {quality.total_score:.1f}",
        "  mean rank:                 "
        + (f"{quality.mean_rank:.2f}" if quality.mean_rank is not None else "-"),
        f"  worst rank:                {quality.worst_rank if quality.worst_rank else '-'}",
        f"  first choice:              {share(quality.top1_share)}",
        f"  top-3 choice:              {share(quality.top3_share)}",
        f"  blocking pairs:            {quality.blocking_pairs}",
        f"  mentees in blocking pairs: {quality.mentees_in_blocking_pairs}",
        f"  spare mentor seats:        {quality.spare_seats}",
    ]
    for u in quality.unmatched:
        lines.append(f"  unmatched: {names.get(u.mentee, u.mentee)}: {WHY.get(u.reason, u.reason)}")
    return lines


class Command(BaseCommand):
    help = (
        "Run a mentoring cycle's matching with one policy (or all) and print the quality "
        "report. Without --dry-run the run is kept, with its inputs, for the manager to "
        "review and publish on the matching page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cycle", type=int, help="The cycle's number (in its page address).")
        parser.add_argument(
            "--policy",
            choices=[*core.POLICIES, "all"],
            default="stable",
            help="stable, welfare, rank, hybrid, or all (default stable).",
        )
        parser.add_argument(
            "--top-k", type=int, default=None, help="Cut each mentee's list to its best k."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the report; keep nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cycle = Cycle.objects.select_related("program").filter(pk=options["cycle"]).first()
        if cycle is None:
            raise CommandError(f"There is no cycle {options['cycle']}.")
        if cycle.program.is_self_match:
            raise CommandError("This program is self-match: mentees choose their mentors.")
        policies = list(core.POLICIES) if options["policy"] == "all" else [options["policy"]]
        names = {str(e.pk): str(e.user) for e in cycle.enrolments.select_related("user")}
        self.stdout.write(f"{cycle.program.name}: {cycle.name} (cycle {cycle.pk})")
        if options["dry_run"]:
            inputs = selectors.matching_inputs(cycle)
            try:
                results = core.compare(inputs.instance(), policies, k=options["top_k"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            for policy, result in results.items():
                self.stdout.write("\n".join(quality_lines(policy, result.quality, names)))
            self.stdout.write("Dry run: nothing was kept.")
            return
        runs = services.match_runs_create(
            cycle=cycle, user=None, policies=policies, k=options["top_k"]
        )
        for run in runs:
            result = services.match_run_reproduce(run)
            self.stdout.write("\n".join(quality_lines(run.policy, result.quality, names)))
            self.stdout.write(f"  kept as run {run.pk}")
