"""Suppression benchmark: the tables of one dashboard over a realistic school.

Builds a deterministic set of tables shaped like those a dashboard publishes, for two
populations (faculty and staff): 21 units x 10 groups, 15 rank-sex rows x 10 groups and
10 years x 10 groups, all with row, column and grand totals, plus a 1-D breakdown of the
10 groups with its total.  Counts are seeded multinomial draws with a realistic skew: one
large group, several mid-sized ones, many small ones and an occasional empty one, over
rows of very different sizes, so there are many small cells and some zeros.

Times the full suppression of every table (median of 5 runs after one warm-up), checks
every result with :func:`check_no_disclosure` (integer programming, independent of the
suppression code) and prints the figure with the number of hidden counts.

    .venv/bin/python bench/suppression.py [--seed 11] [--runs 5]
    .venv/bin/python bench/suppression.py --module /tmp/old_suppression.py  # another version

``--module`` loads the suppression code from another file (for example the committed
version, ``git show HEAD:ristra/analytics/suppression.py > /tmp/old_suppression.py``), so
that two versions can be timed on the same tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ristra.analytics import suppression

GROUPS = 10


def weights(rng: np.random.Generator) -> np.ndarray:
    """Group shares: one large group, three mid-sized, six small (one often near zero)."""
    base = np.array([0.55, 0.12, 0.09, 0.07, 0.05, 0.04, 0.03, 0.02, 0.015, 0.005])
    noisy = base * rng.lognormal(0.0, 0.35, size=GROUPS)
    return noisy / noisy.sum()


def table(rng: np.random.Generator, sizes: list[int]) -> list[list[int]]:
    """One row per size, each row a multinomial draw over the groups."""
    return [[int(v) for v in rng.multinomial(size, weights(rng))] for size in sizes]


def build(seed: int) -> list[tuple[str, list[list[int]]]]:
    rng = np.random.default_rng(seed)
    tables: list[tuple[str, list[list[int]]]] = []
    for population, scale in (("faculty", 1.0), ("staff", 0.6)):
        units = [max(3, int(scale * s)) for s in rng.lognormal(4.3, 0.9, size=21)]
        tables.append((f"{population}: 21 units x {GROUPS} groups", table(rng, units)))
        ranks = [max(0, int(scale * s)) for s in rng.lognormal(3.8, 1.1, size=15)]
        tables.append((f"{population}: 15 rank-sex rows x {GROUPS} groups", table(rng, ranks)))
        start = int(scale * 700)
        years = [int(start * 1.03**y) for y in range(10)]
        tables.append((f"{population}: 10 years x {GROUPS} groups", table(rng, years)))
    return tables


def breakdown(seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed + 1)
    return {f"group {g + 1}": int(v) for g, v in enumerate(rng.multinomial(160, weights(rng)))}


def load(path: str | None) -> ModuleType:
    if path is None:
        return suppression
    spec = importlib.util.spec_from_file_location("suppression_under_test", Path(path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def suppress_all(
    module: ModuleType, tables: list[tuple[str, list[list[int]]]], counts: dict[str, int]
) -> tuple[list[Any], Any]:
    results = [module.suppress_table(matrix) for _, matrix in tables]
    return results, module.suppress_counts(counts, sum(counts.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--module", help="load the suppression code from this file")
    args = parser.parse_args()
    module = load(args.module)
    tables = build(args.seed)
    counts = breakdown(args.seed)

    suppress_all(module, tables, counts)  # warm-up
    times: list[float] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        results, bars = suppress_all(module, tables, counts)
        times.append(time.perf_counter() - start)

    policy = suppression.DEFAULT_POLICY
    hidden_total = 0
    for (name, matrix), result in zip(tables, results, strict=True):
        cells = [v for row in matrix for v in row]
        small = sum(1 for v in cells if policy.is_sensitive(v))
        hidden = len(result.hidden_cells())
        totals = [*result.row_totals, *result.column_totals, result.grand_total]
        hidden_totals = sum(1 for v in totals if v is None)
        hidden_total += hidden + hidden_totals
        # The checker of this checkout, on the published numbers of the version under test.
        published = suppression.SuppressedTable(**result.__dict__)
        problems = suppression.check_no_disclosure(published, matrix)
        assert problems == [], (name, problems)
        print(
            f"  {name}: {len(cells)} cells, {small} small, hidden {hidden} cells "
            f"+ {hidden_totals} totals, safe"
        )
    bars_published = suppression.SuppressedCounts(**bars.__dict__)
    assert suppression.check_counts_no_disclosure(bars_published, counts) == []
    bars_hidden = sum(1 for v in bars.values.values() if v is None) + (bars.total is None)
    hidden_total += bars_hidden
    print(f"  1-D breakdown of {GROUPS} groups: hidden {bars_hidden}, safe")
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"hidden counts in all: {hidden_total}")
    print(
        f"suppression of {len(tables)} tables + 1 breakdown: "
        f"{statistics.median(times):.3f} s median of {args.runs}  (runs: {runs})"
    )


if __name__ == "__main__":
    main()
