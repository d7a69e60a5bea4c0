"""Starting a case from the web app: "Ny upphandling", "Ny deltagare", "Lämna anbud". Each
page is the process's start form; who may start it is what the diagram says
(kedja:startableBy), and the fields bound to the account are the signed-in organisation's."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine import Actor, ConcurrentUpdate, InvalidInput, InvalidState, NotFound, StartInstance, StepFailed
from forms import FieldError

from ..auth import engine as _engine
from .formrender import data_from_form, fields_of, row_counts
from .messages import swedish
from .session import login_required

bp = Blueprint("start", __name__)


def _may_start(process: str) -> bool:
    return g.account.has("admin") or g.account.has(*_engine().startable_by(process))


def _form(process: str) -> tuple[dict, list[str]]:
    """The start form to show: without the fields the account fills (administrators see all)."""
    try:
        form = _engine().start_form(process)
    except NotFound:
        abort(404)
    if form is None or not _may_start(process):
        abort(404 if form is None else 403)
    schema = form["schema"]
    hidden = [] if g.account.has("admin") else form["account_fields"]
    shown = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k not in hidden},
             "required": [name for name in schema.get("required", []) if name not in hidden]}
    return shown, hidden


def _render(process: str, schema: dict, hidden: list[str], values=None, errors=(), rows=None, status=200):
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error.message)
    return render_template("start.html", process=process, schema=schema, hidden=bool(hidden),
                           fields=fields_of(schema, values, rows), errors=by_field), status


@bp.get("/ny/<process>")
@login_required("caseworker", "supplier", "admin")
def new_case(process):
    schema, hidden = _form(process)
    return _render(process, schema, hidden)


@bp.post("/ny/<process>")
@login_required("caseworker", "supplier", "admin")
def start(process):
    schema, hidden = _form(process)
    data = data_from_form(schema, request.form)
    rows = row_counts(request.form)
    if request.form.get("add_row"):
        rows[request.form["add_row"]] = rows.get(request.form["add_row"], 0) + 1
        return _render(process, schema, hidden, data, rows=rows)
    actor = Actor(g.account.username, g.account.organisation)
    try:
        started = _engine().execute(StartInstance(process, data, actor=actor, for_others=g.account.has("admin"),
                                                  idempotency_key=request.form.get("request_id") or None))
    except InvalidInput as err:
        flash("Formuläret har fel. Rätta fälten som är markerade.", "error")
        return _render(process, schema, hidden, data, err.fields or [FieldError("(formuläret)", swedish(err))],
                       rows, status=422)
    except (InvalidState, ConcurrentUpdate) as err:
        flash(f"Ärendet kunde inte registreras. {swedish(err)}", "error")
        return _render(process, schema, hidden, data, rows=rows, status=409)
    except StepFailed:
        flash("Ärendet kunde inte starta: processens första steg misslyckades. Administratören ser det.", "error")
        return redirect(url_for("work.inbox"))
    view = _engine().queries.instance(started.id)
    flash(f"Registrerat: {view['instance'].business_key or 'nytt ärende'}.", "info")
    mine = [task for task in view["open_tasks"] if task.organisation == g.account.organisation]
    if mine:  # the first task is the starter's own: straight on to it
        return redirect(url_for("work.task_page", task_id=mine[0].id))
    return redirect(url_for("work.inbox"))


@bp.app_context_processor
def _start_links():
    def starts() -> list[tuple[str, str]]:
        account = g.get("account")
        return _engine().startable(account.roles) if account is not None else []
    return {"starts": starts, "request_id": lambda: uuid.uuid4().hex}
