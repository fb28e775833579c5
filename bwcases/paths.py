"""Where the project's notebooks and templates live (overridable for other layouts)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("BWCASES_NOTEBOOKS", ROOT / "notebooks"))
TEMPLATES = Path(os.environ.get("BWCASES_TEMPLATES", ROOT / "templates"))
