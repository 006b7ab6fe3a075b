"""Where the project's data lives: shipped config, and the writable data directory."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"
REGISTRY_DIR = CONFIG_DIR / "registry"
DEFAULT_LAOS = REGISTRY_DIR / "laos.csv"
DEFAULT_COVERAGE = REGISTRY_DIR / "coverage.csv"
DEFAULT_OFFICERS = CONFIG_DIR / "assignments" / "officers.csv"


def data_dir() -> Path:
    """Writable data directory: $OIT_DATA_DIR, else ./data under the current directory."""
    return Path(os.environ.get("OIT_DATA_DIR") or Path.cwd() / "data")
