"""What a start needs before anything is written: the start form's rules, identity from the
caller's account, the business key, and one case per retried request.

A process's start form (kedja:formKey on its start event) is validated like a task form, so
bad start data gets field errors and creates nothing. A field marked
`"x-kedja-organisation": "account"` is the caller's own organisation, whatever was sent: a
supplier bids as itself, a caseworker opens cases for its own body. A field naming another
kind of organisation must name one of that kind. The system itself (tools, the simulation)
is trusted with the data it gives; an administrator may act for another organisation.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import account_fields
from forms import validate as validate_form

from .bus import CommandContext, DiagramFailed
from .clock import utc_naive
from .commands import StartInstance
from .errors import InvalidInput, InvalidState, NotFound
from .form_store import FormStore
from .models import IdempotencyKey, Instance, Organisation
from .queries import filled_form
from .spiff import workflow as wf
from .spiff.workflow import CompiledProcess
from .steps import create_instance, record_failed_start
from .uow import diagram_outcome


@dataclass(frozen=True)
class PreparedStart:
    data: dict
    business_key: str | None


def prepare(session: Session, forms: FormStore, process: CompiledProcess, cmd: StartInstance) -> PreparedStart:
    data = dict(cmd.data)
    key = process.model.start_form
    if not key:
        return PreparedStart(data, cmd.business_key)
    version = process.form_versions.get(key)
    trusted = cmd.actor.organisation is None
    if trusted:
        schema = forms.schema(key, version)
    else:
        schema = filled_form(session, forms, key, version, data)
        for field in account_fields(schema):
            if cmd.for_others:  # an administrator names the organisation: one that exists
                schema["properties"][field]["enum"] = list(session.scalars(select(Organisation.name)))
            else:
                data[field] = cmd.actor.organisation
    if problems := validate_form(schema, data):
        raise InvalidInput(f"startformuläret har {len(problems)} fel", problems)
    business_key = cmd.business_key
    if business_key is None and (template := schema.get("x-kedja-business-key")):
        business_key = template.format_map({name: data.get(name, "") for name in schema.get("properties", {})})
    return PreparedStart(data, business_key)


def refuse_second_case(session: Session, process_key: str, business_key: str | None) -> None:
    """Business keys are unique per process (a unique index decides two starts racing)."""
    if business_key and session.scalar(select(Instance.id).where(
            Instance.process_key == process_key, Instance.business_key == business_key).limit(1)):
        raise InvalidState(f"det finns redan ett ärende {business_key}")


def idempotency_scope(cmd: StartInstance) -> str | None:
    return f"{cmd.actor.username}:{cmd.process_key}:{cmd.idempotency_key}"[:300] if cmd.idempotency_key else None


def earlier_start(session: Session, scope: str | None) -> str | None:
    """The instance an earlier request with the same Idempotency-Key started, if any."""
    if scope is None:
        return None
    row = session.get(IdempotencyKey, scope)
    return row.instance_id if row else None


@dataclass(frozen=True)
class StartedInstance:
    id: str
    status: str
    replayed: bool = False  # an earlier request with the same Idempotency-Key started it


def start(ctx: CommandContext, cmd: StartInstance) -> StartedInstance:
    """The StartInstance command: check, run the first steps, write the instance; a start whose
    first steps fail leaves an instance in `error` (its creator sees it) and says why."""
    if not isinstance(cmd.data, dict):
        raise InvalidInput("data must be an object")
    uow = ctx.uow
    scope = idempotency_scope(cmd)
    if (earlier := earlier_start(uow.session, scope)) is not None:
        return StartedInstance(earlier, uow.repo.instance(earlier).status, replayed=True)
    row = uow.repo.latest_definition(cmd.process_key)
    if row is None:
        raise NotFound(f"no deployed process '{cmd.process_key}'")
    process = ctx.processes.get(row.id, uow.repo)
    prepared = prepare(uow.session, ctx.forms, process, cmd)
    refuse_second_case(uow.session, cmd.process_key, prepared.business_key)
    now = ctx.now()
    workflow = wf.new_workflow(process, prepared.data)

    def work():
        wf.run_steps(workflow, now)
        instance = create_instance(ctx, process, workflow, prepared.business_key, now)
        if scope:
            uow.repo.flush()  # the instance row first: the key refers to it
            uow.repo.add(IdempotencyKey(key=scope, instance_id=instance.id, created_at=utc_naive(now)))
        return instance

    instance, failure = diagram_outcome(work)
    if failure is not None:
        raise DiagramFailed(failure, lambda: record_failed_start(ctx, process, prepared.data,
                                                                 prepared.business_key, failure))
    return StartedInstance(instance.id, instance.status)
