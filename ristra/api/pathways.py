"""Pathway exports: the router the pathways app's endpoints go into.

The pathways app (programs, cohorts, participants, outcome linkage) is being built in
parallel.  Add its read operations here, mounted at ``/api/pathways/`` by ``api.py``, on
the pattern of ``mentoring.py``: ``access.require`` for the permission (403), the app's
access helper for each object (404), ``published.py`` for every count, and
``audit_record`` for every response that names participants.  A test in
``tests/test_schemathesis.py`` then covers the new operations without changes.
"""

from __future__ import annotations

from ninja import Router

router = Router()
