"""Dashboards (placeholder replaced below)."""

from __future__ import annotations


def forget_cached() -> None:
    """Drop cached snapshot connections and results (after a refresh)."""
