"""The follow-up figures as CSV: one row per figure (name, key, value), for spreadsheets."""
from __future__ import annotations

import csv
import io


def figures_csv(figures: dict) -> str:
    """One row per figure: the figure's name, its key (if any) and its value."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "key", "value"])

    def rows(name, value, key=""):
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                rows(name, inner_value, f"{key}/{inner}" if key else str(inner))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                rows(name, item, f"{key}[{index}]")
        else:
            writer.writerow([name, key, value])

    for name, value in figures.items():
        rows(name, value)
    return out.getvalue()
