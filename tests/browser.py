"""Headless Chromium for the tests that look at a page as a person would (history_test.py,
knn_plot_test.py)."""
import os
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def chromium():
    """The chromium program on PATH, or None."""
    for name in ("chromium", "chromium-browser"):
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            if (Path(folder) / name).exists():
                return str(Path(folder) / name)
    return None
