"""The admin console: instances by status and what each waits for, stalled instances and why,
suspend / resume / terminate / retry, reset to an earlier task and migration to a newer version
(each audited by the engine), the message and audit logs; in demo mode the demo clock (Spola fram)."""
from __future__ import annotations

import json
from typing import Callable

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from engine import (
    Actor,
    AdvanceDemoClock,
    ConcurrentUpdate,
    Forbidden,
    InvalidInput,
    InvalidState,
    MigrateInstance,
    NotFound,
    ResetInstance,
    ResumeInstance,
    RetryIncident,
    RetryInstance,
    StepFailed,
    SuspendInstance,
    TerminateInstance,
    demo_time,
    utc_naive,
)
from engine import list_incidents as engine_incidents

from ..auth import engine as _engine
from .args import page_count, page_number
from .labels import MESSAGE_STATUSES, STALL_REASONS, STATUSES, element_names
from .messages import swedish
from .session import login_required, safe_target

bp = Blueprint("admin", __name__, url_prefix="/admin")
ACTIONS = {"suspend": (SuspendInstance, "pausad"), "resume": (ResumeInstance, "återupptagen"),
           "terminate": (TerminateInstance, "avbruten"), "retry": (RetryInstance, "körd igen")}
PER_PAGE = 25
INCIDENT_KINDS = {"timer": "Timer", "message": "Meddelande"}
# How far *Spola fram* moves the demo clock: (days, hours, label).
CLOCK_STEPS = {"1h": (0, 1, "1 timme"), "1d": (1, 0, "1 dag"), "10d": (10, 0, "10 dagar"),
               "30d": (30, 0, "30 dagar"), "6m": (183, 0, "6 månader")}


@bp.context_processor
def _demo_clock():
    """The demo clock on every administration page, in demo mode only."""
    if not current_app.config.get("KEDJA_DEMO") or not _engine().config.demo:
        return {"demo_clock": None}
    state = demo_time(_engine())
    return {"demo_clock": {"now": utc_naive(state.now), "moved_by": state.moved_by, "moved_at": state.moved_at},
            "clock_steps": CLOCK_STEPS}


@bp.post("/clock")
@login_required("admin")
def advance_clock():
    """Demo mode: move the clock forward; the timers that fell due fire at once."""
    back = safe_target(request.form.get("back"), url_for("admin.index"))
    step = CLOCK_STEPS.get(request.form.get("step", ""))
    if step is None:
        flash("Välj hur långt klockan ska spolas fram.", "error")
        return redirect(back)
    days, hours, label = step
    try:
        moved = _engine().execute(AdvanceDemoClock(_admin(), days, hours))
    except (InvalidState, Forbidden, InvalidInput, ConcurrentUpdate) as err:
        flash(f"Klockan spolades inte fram. {swedish(err)}", "error")
        return redirect(back)
    when = current_app.jinja_env.filters["when"]
    fired = f" Timrar som löste ut: {moved.timers_fired}." if moved.timers_fired else ""
    flash(f"Klockan är framspolad {label}. Demotid: {when(utc_naive(moved.now))}.{fired}", "info")
    return redirect(back)


@bp.get("")
@login_required("admin")
def index():
    queries = _engine().queries
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = queries.instances(status=status or None, page=page_number(), per_page=PER_PAGE)
    ids = [instance.id for instance in page.items]
    return render_template("admin.html", tab="instances", page=page, status=status,
                           counts=queries.status_counts(), waits=queries.waits_of(ids),
                           tasks=queries.open_tasks_of(ids), pages=page_count(page))


@bp.get("/stalled")
@login_required("admin")
def stalled():
    reason = request.args.get("reason", "")
    reason = reason if reason in STALL_REASONS else ""
    page = _engine().queries.stalled(reason or None, page_number(), PER_PAGE)
    cases = _cases(f["instance_id"] for f in page.items)
    for finding in page.items:
        finding["definition_id"] = cases.get(finding["instance_id"], {}).get("definition_id")
    return render_template("admin_stalled.html", tab="stalled", page=page, reason=reason,
                           pages=page_count(page))


@bp.get("/messages")
@login_required("admin")
def messages():
    status = request.args.get("status", "")
    status = status if status in MESSAGE_STATUSES else ""
    page = _engine().queries.messages(status=status or None, page=page_number(), per_page=PER_PAGE, newest_first=True)
    rows = [{"message": m, "correlation": json.loads(m.correlation_key or "{}")} for m in page.items]
    return render_template("admin_messages.html", tab="messages", page=page, rows=rows, status=status,
                           pages=page_count(page),
                           cases=_cases(m.source_instance_id for m in page.items if m.source_instance_id))


@bp.get("/incidents")
@login_required("admin")
def incidents():
    engine = _engine()
    found = engine_incidents(engine)
    return render_template("admin_incidents.html", tab="incidents", incidents=found,
                           cases=_cases(i.instance_id for i in found if i.instance_id),
                           max_attempts=engine.config.max_attempts, KINDS=INCIDENT_KINDS)


@bp.post("/incidents/<kind>/<incident_id>/retry")
@login_required("admin")
def retry_incident(kind, incident_id):
    try:
        _engine().execute(RetryIncident(kind, incident_id, _admin()))
        flash("Incidenten är försökt igen.", "info")
    except (InvalidState, InvalidInput, NotFound, ConcurrentUpdate) as err:
        flash(f"Det gick inte. {swedish(err)}", "error")
    return redirect(url_for("admin.incidents"))


@bp.get("/audit")
@login_required("admin")
def audit():
    page = _engine().queries.audit_log(page=page_number(), per_page=PER_PAGE)
    return render_template("admin_audit.html", tab="audit", page=page, pages=page_count(page),
                           cases=_cases(e.instance_id for e in page.items if e.instance_id))


def _cases(instance_ids) -> dict[str, dict]:
    """Each case's business key and the process version it runs on (to name its elements)."""
    found = {}
    for instance_id in dict.fromkeys(instance_ids):
        try:
            instance = _engine().queries.instance(instance_id)["instance"]
        except NotFound:
            continue
        found[instance_id] = {"name": instance.business_key, "definition_id": instance.definition_id}
    return found


def _admin() -> Actor:
    return Actor(g.account.username, g.account.organisation)


def _back_to_case(instance_id: str):
    return redirect(url_for("cases.case", instance_id=instance_id))


def _names(instance_id: str) -> dict[str, str]:
    """The names of the elements of the version the case runs on."""
    try:
        return element_names(_engine().queries.instance(instance_id)["instance"].definition_id)
    except NotFound:
        return {}


def _run_on_case(instance_id: str, command, done: Callable[[], str], refused: str):
    """Run an administrator's command on the case and go back to its page with what happened."""
    try:
        _engine().execute(command)
        flash(done(), "info")
    except (InvalidState, ConcurrentUpdate, NotFound) as err:
        flash(f"{refused}. {swedish(err, _names(instance_id))}", "error")
    except StepFailed:
        flash("Steget misslyckades. Felet syns på ärendet.", "error")
    return _back_to_case(instance_id)


@bp.post("/instances/<instance_id>/reset")
@login_required("admin")
def reset(instance_id):
    """Back to an earlier user task of the case: it opens again, what followed is undone."""
    element_id = request.form.get("element_id", "").strip()
    if not element_id:
        flash("Välj uppgiften att gå tillbaka till.", "error")
        return _back_to_case(instance_id)

    def done() -> str:
        reopened = [task.name for task in _engine().queries.instance(instance_id)["open_tasks"]
                    if task.element_id == element_id]
        return f"Instansen är återställd till {reopened[0] if reopened else element_id}."
    return _run_on_case(instance_id, ResetInstance(instance_id, element_id, _admin()), done,
                        "Det gick inte att gå tillbaka")


@bp.post("/instances/<instance_id>/migrate")
@login_required("admin")
def migrate(instance_id):
    """To a newer version of its process, if the change allows it (else the reason is shown)."""
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        flash("Välj versionen att flytta till.", "error")
        return _back_to_case(instance_id)
    return _run_on_case(instance_id, MigrateInstance(instance_id, version, _admin()),
                        lambda: f"Instansen är flyttad till version {version}.", "Det gick inte att flytta")


@bp.post("/instances/<instance_id>/<action>")
@login_required("admin")
def act(instance_id, action):
    if action not in ACTIONS:
        flash("Okänd åtgärd.", "error")
        return redirect(url_for("admin.index"))
    command, done = ACTIONS[action]
    try:
        _engine().execute(command(instance_id, _admin()))
        flash(f"Instansen är {done}.", "info")
    except (InvalidState, ConcurrentUpdate) as err:
        flash(f"Det gick inte. {swedish(err)}", "error")
    except StepFailed:
        flash("Steget misslyckades igen. Felet syns på ärendet.", "error")
    return redirect(safe_target(request.form.get("back"), url_for("admin.index")))
