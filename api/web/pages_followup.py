"""The follow-up dashboard: the key figures (docs/domain.md) with charts, and the same as CSV."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from goteborg.reports import follow_up

from ..figures_csv import CSV_MIMETYPE, figures_csv
from .labels import figure_labels
from .session import login_required

bp = Blueprint("followup", __name__, url_prefix="/uppfoljning")


def _figures() -> dict:
    engine = current_app.extensions["kedja"]
    return follow_up(engine, engine.config.settings["socio_economic_values"],
                     engine.config.settings["distribution_key"]).as_dict()


@bp.get("")
@login_required()
def dashboard():
    figures = _figures()
    # The order of each figure's keys (outcomes, phases in the process's order): JSON objects on
    # the page come with their keys sorted, lists keep theirs.
    order = {name: list(value) for name, value in figures.items() if isinstance(value, dict)}
    return render_template("followup.html", figures=figures, chart_labels=dict(figure_labels(), order=order))


@bp.get("/nyckeltal.csv")
@login_required()
def as_csv():
    return Response(figures_csv(_figures(), figure_labels()), content_type=CSV_MIMETYPE,
                    headers={"Content-Disposition": "attachment; filename=nyckeltal.csv"})
