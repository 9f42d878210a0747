"""ristra/analytics is plain Python: importing every module of it never loads Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import importlib, pkgutil, sys
import ristra.analytics as core
for module in pkgutil.walk_packages(core.__path__, "ristra.analytics."):
    if ".tests" not in module.name:
        importlib.import_module(module.name)
loaded = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print(",".join(loaded))
"""


def test_it_never_imports_django() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == ""
