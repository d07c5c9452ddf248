"""The chart of ``procure simulate --chart``: wait-time distributions per policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def write_wait_chart(path: Path, waits: Mapping[str, Sequence[int]], title: str) -> Path:
    """Write a PNG: the share of lines shipped within N days, and box plots of the waits."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    names = list(waits)
    figure, (curves, boxes) = plt.subplots(1, 2, figsize=(12, 4.8))
    longest = max((max(days, default=0) for days in waits.values()), default=0)
    for name in names:
        days = np.sort(np.asarray(waits[name], dtype=np.float64))
        if len(days) == 0:
            continue
        share = np.arange(1, len(days) + 1) / len(days)
        curves.step(days, share, where="post", label=f"{name} (mean {days.mean():.1f} d)")
    curves.set_xlim(0, min(longest, 60) if longest else 1)
    curves.set_xlabel("days from order to shipment")
    curves.set_ylabel("share of back-order lines shipped")
    curves.grid(alpha=0.3)
    curves.legend(loc="lower right", fontsize=8)
    boxes.boxplot(
        [list(waits[name]) for name in names],
        vert=False,
        showmeans=True,
        whis=(10, 90),
        showfliers=False,
    )
    boxes.set_yticks(range(1, len(names) + 1), names)
    boxes.set_xlabel("wait in days (box: p25–p75, whiskers: p10–p90, triangle: mean)")
    boxes.grid(axis="x", alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
