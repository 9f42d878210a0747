"""Writes for measures: refreshing the snapshot, defining categories, loading benchmarks."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ristra.analytics.benchmarks import load_benchmark
from ristra.analytics.categories import CategorySet
from ristra.reports.models import Benchmark, Category, Snapshot, SnapshotStatus

log = logging.getLogger(__name__)


def category_set(*, categories: Any = None) -> CategorySet | None:
    """Every version of every school-defined category, checked together (None: none yet)."""
    rows = list(categories if categories is not None else Category.objects.all())
    if not rows:
        return None
    return CategorySet([c.as_definition() for c in rows])


def snapshot_refresh(*, reason: str, on: dt.date | None = None) -> Snapshot:
    """Rebuild the analytics snapshot from the person record (atomic file replace)."""
    from ristra.people.snapshot import snapshot_frames, snapshot_write
    from ristra.reports import dashboards

    record = Snapshot.objects.create(reason=reason[:200])
    started = time.perf_counter()
    path = Path(settings.RISTRA_SNAPSHOT_PATH)
    try:
        frames = snapshot_frames(category_set=category_set(), on=on)
        # The dashboards' statements are compiled now, not on a request.
        snapshot_write(path, frames, statements=dashboards.dashboard_queries)
    except Exception as exc:
        log.exception("snapshot refresh failed")
        record.status = SnapshotStatus.FAILED
        record.error = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        record.status = SnapshotStatus.READY
        record.persons = frames.persons
        record.stages = frames.stages.height
    record.path = str(path)
    record.seconds = time.perf_counter() - started
    record.finished_at = timezone.now()
    record.save()
    dashboards.forget_cached()
    if record.status == SnapshotStatus.READY and settings.RISTRA_WARM_DASHBOARDS:
        try:
            dashboards.warm()
        except Exception:  # a dashboard that cannot be built must not fail the refresh
            log.exception("warming the dashboards failed")
    if record.status == SnapshotStatus.READY:
        from ristra.reports.indicators import run_refresh_hooks

        run_refresh_hooks()  # e.g. the plans' indicator readings (a background task)
    return record


def snapshot_refresh_later(*, reason: str) -> None:
    """Refresh the snapshot once the current transaction commits (a background task)."""
    if not settings.RISTRA_SNAPSHOT_AFTER_IMPORT:
        return
    from ristra.reports.tasks import refresh_snapshot_task

    transaction.on_commit(lambda: refresh_snapshot_task.enqueue(reason=reason))


def category_save(*, category: Category, user: Any) -> Category:
    """Save one category version after checking it against every other version."""
    others = Category.objects.exclude(pk=category.pk) if category.pk else Category.objects.all()
    category_set(categories=[*others, category])  # raises CategoryError
    category.created_by = category.created_by or (
        user if getattr(user, "is_authenticated", False) else None
    )
    category.save()
    snapshot_refresh_later(reason=f"category {category.key} v{category.version} saved")
    return category


def benchmark_import(
    *,
    content: bytes,
    filename: str,
    name: str,
    source: str,
    citation: str,
    url: str = "",
    user: Any = None,
) -> Benchmark:
    """Check a benchmark file (raises BenchmarkError listing every problem) and keep it."""
    table = load_benchmark(
        content,
        filename=filename,
        name=name,
        source_text=source,
        citation=citation,
        url=url or None,
    )
    return Benchmark.objects.create(
        name=name,
        source=source,
        citation=citation,
        url=url,
        filename=filename,
        content=content,
        rows=table.frame.height,
        geographies=table.geographies(),
        years=table.years(),
        dimensions=table.dimensions(),
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
