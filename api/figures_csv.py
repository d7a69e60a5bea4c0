"""The follow-up figures as CSV for spreadsheets: one row per figure (name, breakdown, value), in
Swedish and as Excel in Swedish reads it: a byte order mark (so it is read as UTF-8), `;` between
fields, decimal commas, Ja/Nej."""
from __future__ import annotations

import csv
import io

CSV_MIMETYPE = "text/csv; charset=utf-8"
HEADER = ["Nyckeltal", "Uppdelning", "Värde"]
# What each level of a figure's keys is: a kind of value (labelled by the forms), a phase, one of
# the figures' own keys, a row of a list, or a name as it is (None: organisations, districts).
LEVELS = {
    "share_by_organisation": (None, "key"), "requirements_by_kind": ("requirement_kind",),
    "people_by_outcome": ("outcome",), "people_by_target_group": ("target_group", "outcome"),
    "people_by_gender": ("gender", "outcome"), "people_by_district": (None, "outcome"),
    "contracts": ("row", "key"), "lead_time_days_by_phase": ("phase",), "dropout_by_phase": ("phase", "key"),
    "socio_economic_values": ("outcome",), "placements_by_district": (None, "key"),
}


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def figures_csv(figures: dict, labels: dict[str, dict[str, str]] | None = None) -> str:
    """`labels`: kind -> code -> Swedish name (api.web.labels.figure_labels); without them the
    labels of the request's app, if there is one."""
    if labels is None:
        labels = _app_labels()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)

    def name(kind, part) -> str:
        if kind == "row":
            return f"Rad {part + 1}"
        return (labels.get(kind) or {}).get(str(part), str(part)) if kind else str(part)

    def rows(figure, value, path=()):
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for inner, inner_value in items:
                rows(figure, inner_value, (*path, inner))
            return
        levels = LEVELS.get(figure, ())
        parts = [name(levels[i] if i < len(levels) else "key", part) for i, part in enumerate(path)]
        if isinstance(value, str) and path:  # a code (a contract's sanction): its Swedish name
            value = (labels.get(str(path[-1])) or {}).get(value, value)
        writer.writerow([labels.get("figure", {}).get(figure, figure), " / ".join(parts), _value(value)])

    for figure, value in figures.items():
        rows(figure, value)
    return out.getvalue()


def _app_labels() -> dict:
    from flask import has_app_context

    if not has_app_context():
        return {}
    from .web.labels import figure_labels

    return figure_labels()
