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

from .commands import StartInstance
from .errors import InvalidInput, InvalidState
from .form_store import FormStore
from .models import IdempotencyKey, Instance, Organisation
from .queries import filled_form
from .spiff.workflow import CompiledProcess


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
