"""What a caller may see. An organisation sees the instances it has (had) a task in, and the
tasks of its own lanes; administrators see every instance but no participant's task data.
A thing the caller may not see answers 404, so that its existence does not leak. Every read
of a participant case is logged. Which processes hold participants' cases the diagrams declare
(`kedja:modelRole="participant"`, goteborg/roles.py), not their ids."""
from __future__ import annotations

from engine import NotFound, RecordAccess
from goteborg.roles import PARTICIPANT, roles

from .auth import account, engine


def is_participant_process(process_key: str) -> bool:
    """Its cases hold a participant's personal data (a version of it plays the participant role)."""
    return process_key in roles(engine()).processes(PARTICIPANT)


def _log_if_participant(process_key: str, instance_id: str, what: str) -> None:
    if is_participant_process(process_key):
        who = account()
        engine().execute(RecordAccess(who.username, who.organisation, instance_id, what))


def may_see_instance(instance_id: str) -> bool:
    who = account()
    return who.has("admin") or who.organisation in engine().queries.organisations_in(instance_id)


def may_see_chain(procurement_instance_id: str) -> bool:
    """The procurement's chain page: those who see the procurement case, and its matching body
    (chosen in the requirement decision), who works with the participants placed in it."""
    if may_see_instance(procurement_instance_id):
        return True
    return account().organisation == engine().queries.facts(procurement_instance_id).get("matching_body")


def instance_view(instance_id: str) -> dict:
    view = engine().queries.instance(instance_id)
    if not may_see_instance(instance_id):
        raise NotFound(f"no instance {instance_id}")
    _log_if_participant(view["instance"].process_key, instance_id, "instance")
    return view


def task_row(task_id: str, with_data: bool = False):
    task = engine().queries.task(task_id)
    who = account()
    own = task.organisation == who.organisation
    if not own and not (who.has("admin") and not is_participant_process(task.process_key)):
        raise NotFound(f"no task {task_id}")
    if with_data:
        _log_if_participant(task.process_key, task.instance_id, f"task {task.element_id}")
    return task


def may_start(process: str) -> bool:
    """Administrators start any process; others what the diagram's kedja:startableBy names."""
    who = account()
    return who.has("admin") or who.has(*engine().startable_by(process))
