"""The case page (diagram with where the case is and has been, history, linked cases) and the
chain page of a procurement (its suppliers and participants, each with phase and status)."""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template

from engine import ACTIVE_STATUSES, NotFound
from goteborg.chain import chain as model_chain

from .. import access
from ..auth import engine as _engine
from .labels import diagram, element_label, vocabulary
from .session import login_required

bp = Blueprint("cases", __name__)


@bp.get("/cases/<instance_id>")
@login_required()
def case(instance_id):
    view = access.instance_view(instance_id)  # 404 for what the user may not see; participant reads logged
    queries = _engine().queries
    done, active = queries.element_progress(instance_id)
    # The saved state keeps only recent history (engine.spiff.history); the user tasks done
    # before that window are in the history projection.
    done |= {task.element_id for task in view["history"] if task.state == "completed"}
    linked_ids = [link["instance_id"] for link in view["linked"]]
    briefs = queries.brief(linked_ids)
    linked = [dict(link, **briefs[link["instance_id"]]) for link in view["linked"]
              if link["instance_id"] in briefs and access.may_see_instance(link["instance_id"])]
    facts = queries.facts(instance_id)
    instance = view["instance"]
    # Administrators see every case but no participant's data: that only those working with it.
    shown_facts = facts if not access.is_participant_process(instance.process_key) or \
        g.account.organisation in queries.organisations_in(instance_id) else {}
    admin = g.account.has("admin")
    audit = queries.audit_log(instance_id, per_page=50).items if admin else []
    return render_template("case.html", view=view, instance=view["instance"], linked=linked,
                           procurement_id=facts.get("procurement_id"), audit=audit,
                           facts=vocabulary().pairs(shown_facts), definition_id=instance.definition_id,
                           **(_admin_choices(view) if admin else {}),
                           progress={"done": sorted(done), "active": sorted(active),
                                     "open": sorted({t.element_id for t in view["open_tasks"]}),
                                     "error": view["instance"].error_element,
                                     "active_names": _where(view)})


def _where(view: dict) -> list[str]:
    """Where the case is now, by the names of its open tasks and of the events it waits at."""
    definition_id = view["instance"].definition_id
    names = [task.name or element_label(task.element_id, definition_id) for task in view["open_tasks"]]
    names += [element_label(wait["element_id"], definition_id) for wait in view["waiting_for"]]
    return list(dict.fromkeys(names))


def _admin_choices(view: dict) -> dict:
    """What an administrator may take the case back to (the user tasks it has done, the latest
    first) and move it to (the newer versions of its process)."""
    instance = view["instance"]
    if instance.status not in (*ACTIVE_STATUSES, "error"):
        return {}
    reset_to: dict[str, str] = {}
    for task in sorted((task for task in view["history"] if task.state == "completed"),
                       key=lambda task: task.completed_at or task.created_at, reverse=True):
        reset_to.setdefault(task.element_id, task.name or task.element_id)
    versions = _engine().queries.versions(instance.process_key)
    current = next(v["version"] for v in versions if v["definition_id"] == instance.definition_id)
    newer = [v for v in versions if v["version"] > current] if instance.status in ACTIVE_STATUSES else []
    return {"reset_to": list(reset_to.items()), "current_version": current, "newer_versions": newer}


@bp.get("/cases/<instance_id>/diagram.bpmn")
@login_required()
def case_diagram(instance_id):
    """The XML of the version the case runs on (what the case page draws)."""
    if not access.may_see_instance(instance_id):
        raise NotFound(f"no instance {instance_id}")
    instance = _engine().queries.instance(instance_id)["instance"]
    definition = _engine().queries.definition(instance.definition_id)
    return Response(definition.bpmn_xml, mimetype="application/xml")


@bp.get("/chains/<procurement_id>")
@login_required()
def chain(procurement_id):
    chain = model_chain(_engine(), procurement_id)
    visible = [m for m in chain["participant"] if access.may_see_instance(m["id"])]
    procurement = chain["procurement"][0]
    may_see_procurement = access.may_see_chain(procurement["id"])
    if not may_see_procurement and not visible:
        raise NotFound(f"no procurement {procurement_id}")
    suppliers = [m for m in chain["supplier"]
                 if g.account.has("admin", "caseworker") or access.may_see_instance(m["id"])]
    procurement, suppliers, visible = _with_phases([procurement]), _with_phases(suppliers), _with_phases(visible)
    procurement = procurement[0]
    return render_template("chain.html", procurement_id=procurement_id, procurement=procurement,
                           may_see_procurement=may_see_procurement, suppliers=suppliers, participants=visible,
                           hidden=len(chain["participant"]) - len(visible),
                           facts=_engine().queries.facts(procurement["id"]) if may_see_procurement else {},
                           may_see=access.may_see_instance)


def _with_phases(members: list[dict]) -> list[dict]:
    """Each member with where it is in Swedish: the phases (kedja:phase) of its open tasks in the
    order of its process, then the events it waits at, by their names."""
    queries = _engine().queries
    shown = []
    for member in members:
        view = queries.instance(member["id"])
        drawn = diagram(view["instance"].definition_id)
        open_ids = [task.element_id for task in view["open_tasks"]]
        phases = sorted({drawn.phase_of.get(element) or task.name or element_label(element, None)
                         for element, task in zip(open_ids, view["open_tasks"], strict=True)},
                        key=lambda phase: (drawn.phases.index(phase) if phase in drawn.phases else len(drawn.phases),
                                           phase))
        waits = list(dict.fromkeys(element_label(wait["element_id"], view["instance"].definition_id)
                                   for wait in view["waiting_for"]))
        where = ", ".join(phases)
        if waits:
            where += ("; " if where else "") + "väntar på " + ", ".join(waits)
        shown.append(dict(member, phase=where or None))
    return shown
