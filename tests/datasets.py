"""The public data sets the tests replay: ``shared/datasets`` beside the checkout.

``PROCURE_DATASETS`` points elsewhere. When a data set is missing its tests are skipped with
that reason — except where ``PROCURE_REQUIRE_DATASETS`` is set (CI), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATASETS = Path(
    os.environ.get("PROCURE_DATASETS")
    or Path(__file__).resolve().parents[2] / "shared" / "datasets"
)
SCMS = DATASETS / "scms_delivery_history" / "SCMS_Delivery_History_Dataset.csv"
ADVENTUREWORKS = DATASETS / "adventureworks_purchasing" / "ProductVendor_full.csv"


def require(path: Path) -> Path:
    """``path`` when it exists; otherwise skip (or fail where data sets are required)."""
    if path.exists():
        return path
    message = f"data set {path} not found (set PROCURE_DATASETS)"
    if os.environ.get("PROCURE_REQUIRE_DATASETS"):
        pytest.fail(message)
    pytest.skip(message)
