"""The inbox and the task page: list, claim, release, fill in and complete."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine import (
    INBOX_SORTS,
    Actor,
    ClaimTask,
    CompleteTask,
    ConcurrentUpdate,
    Forbidden,
    InvalidInput,
    InvalidState,
    ReleaseTask,
    StepFailed,
    utc_naive,
)
from forms import FieldError

from .. import access
from ..auth import engine as _engine
from .args import page_count, page_number
from .formrender import data_from_form, fields_of, row_counts
from .labels import vocabulary
from .messages import swedish
from .session import login_required, safe_target

bp = Blueprint("work", __name__)
WORKERS = ("caseworker", "supplier", "admin")
PER_PAGE = 25
FILTERS = {"scope": ("organisation", "mine"), "due": ("", "overdue", "week"), "claimed": ("", "yes", "no"),
           "sort": tuple(INBOX_SORTS), "order": ("asc", "desc")}


def _actor() -> Actor:
    return Actor(g.account.username, g.account.organisation)


def _filters(processes: list[str]) -> dict:
    """The inbox's filters from the query string; anything unknown falls back to the default."""
    chosen = {name: request.args.get(name, values[0]) for name, values in FILTERS.items()}
    chosen = {name: value if value in FILTERS[name] else FILTERS[name][0] for name, value in chosen.items()}
    chosen["process"] = request.args.get("process", "") if request.args.get("process") in processes else ""
    chosen["page"] = page_number()
    return chosen


@bp.get("/")
@login_required()
def inbox():
    if not g.account.has(*WORKERS):  # process owners only: their page is the modeller
        return redirect(url_for("modeller.index"))
    processes = _engine().queries.process_keys()
    chosen = _filters(processes)
    page = _engine().queries.inbox(
        g.account.organisation, g.account.username, scope=chosen["scope"], process=chosen["process"] or None,
        due=chosen["due"] or None, claimed=chosen["claimed"] or None, sort=chosen["sort"],
        descending=chosen["order"] == "desc", page=chosen["page"], per_page=PER_PAGE,
        now=utc_naive(_engine().now()))
    context = _engine().queries.task_context(page.items)
    return render_template("inbox.html", page=page, context=context, chosen=chosen, pages=page_count(page),
                           processes=processes)


def _back() -> str:
    """Back where the user came from on this site (the inbox with its filters), else the inbox."""
    return safe_target(request.form.get("back"), url_for("work.inbox"))


@bp.post("/tasks/<task_id>/<any(claim, release):action>")
@login_required(*WORKERS)
def claim_or_release(task_id, action):
    access.task_row(task_id)
    command, done, verb = {"claim": (ClaimTask, "Du har tagit uppgiften.", "tas"),
                           "release": (ReleaseTask, "Uppgiften är släppt.", "släppas")}[action]
    try:
        _engine().execute(command(task_id, _actor()))
        flash(done, "info")
    except (ConcurrentUpdate, InvalidState, Forbidden) as err:
        flash(f"Uppgiften kunde inte {verb}. {swedish(err)}", "error")
    return redirect(_back())


def _render_task(task, values=None, errors: list[FieldError] = (), rows=None, status=200):
    schema = _engine().queries.task_form(task.id, _engine().model_settings) or {"type": "object", "properties": {}}
    data = _engine().queries.task_data(task.id) if task.state == "open" else {}
    context = _engine().queries.task_context([task])[task.id]
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error.message)
    return render_template("task.html", task=task, schema=schema, context=context,
                           fields=fields_of(schema, values, rows), errors=by_field,
                           facts=_facts(data), shown=shown_facts(schema, data), kept=values is not None), status


def shown_facts(schema: dict, data: dict) -> list[tuple[str, str]]:
    """What the form asks to have in view while deciding (`x-kedja-show`: paths into the task's
    data with a title each), e.g. the candidate's CV summary and the vacancy."""
    shown = []
    for item in schema.get("x-kedja-show") or []:
        value = data
        for part in str(item.get("path", "")).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, ""):
            shown.append((item.get("title") or item.get("path"), value))
    return shown


def _facts(data: dict) -> list[tuple[str, str]]:
    """The case's data a caseworker may want beside the form: the simple values, not lists,
    each with its Swedish label and its value the Swedish way."""
    simple = (str, int, float, bool)
    return vocabulary().pairs({key: value for key, value in data.items() if isinstance(value, simple)}, 40)


@bp.get("/tasks/<task_id>")
@login_required(*WORKERS)
def task_page(task_id):
    task = access.task_row(task_id, with_data=True)
    return _render_task(task)


@bp.post("/tasks/<task_id>")
@login_required(*WORKERS)
def complete(task_id):
    task = access.task_row(task_id, with_data=True)
    schema = _engine().queries.task_form(task.id, _engine().model_settings) or {"type": "object", "properties": {}}
    data = data_from_form(schema, request.form)
    rows = row_counts(request.form)
    if request.form.get("add_row"):  # another row in a list: render again, nothing is saved
        rows[request.form["add_row"]] = rows.get(request.form["add_row"], 0) + 1
        return _render_task(task, data, rows=rows)
    try:
        _engine().execute(CompleteTask(task_id, data, _actor()))
    except InvalidInput as err:
        fields = err.fields or [FieldError("(formuläret)", swedish(err))]
        flash("Formuläret har fel. Rätta fälten som är markerade.", "error")
        return _render_task(task, data, fields, rows, status=422)
    except (ConcurrentUpdate, InvalidState, Forbidden) as err:
        # Someone else has it, or the case moved or is paused: say so, keep what was typed.
        flash(f"Uppgiften kunde inte slutföras. {swedish(err)}", "error")
        return _render_task(_engine().queries.task(task_id), data, rows=rows, status=409)
    except StepFailed:
        flash("Uppgiften sparades inte: nästa steg i processen misslyckades. "
              "Ärendet syns nu för administratören.", "error")
        return redirect(url_for("work.inbox"))
    flash(f"Klart: {task.name}.", "info")
    return redirect(_next_task(task_id))


def _next_task(done_id: str) -> str:
    """On to the next task: my organisation's oldest open task that nobody else has taken."""
    page = _engine().queries.inbox(g.account.organisation, g.account.username, claimed="no", per_page=5)
    mine = _engine().queries.inbox(g.account.organisation, g.account.username, scope="mine", per_page=5)
    for task in list(mine.items) + list(page.items):
        if task.id != done_id and task.state == "open":
            return url_for("work.task_page", task_id=task.id)
    return url_for("work.inbox")
