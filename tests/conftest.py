"""Test-wide settings: offline (no hub downloads, no telemetry), quiet Prefect, no user config."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PANTAU_CONFIG", None)
os.environ.pop("PANTAU_DATABASE_URL", None)
