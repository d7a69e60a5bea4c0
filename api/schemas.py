"""Request and response schemas (marshmallow); they also write the OpenAPI document."""
from __future__ import annotations

from datetime import timezone

from marshmallow import INCLUDE, Schema, fields, validate
from sqlalchemy import inspect


class UtcDateTime(fields.DateTime):
    """Times are stored as naive UTC; the API says so (ISO 8601 with +00:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def row_dict(row) -> dict:
    """A table row's columns as a dict (to add fields to before the response schema dumps it);
    columns not loaded (an instance's saved state is loaded only when needed) are left out."""
    unloaded = inspect(row).unloaded
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key not in unloaded}


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class Health(Schema):
    status = fields.String()
    database = fields.String()
    mode = fields.String(metadata={"description": "'demo' (kedja demo: made-up users and cases) or 'production'",
                                   "enum": ["demo", "production"]})
    demo_time = UtcDateTime(metadata={"description": "demo mode only: the demo clock's time (administrators "
                                                     "move it forward, POST /api/v1/admin/clock)"})


class DemoClockArgs(Schema):
    days = fields.Float(load_default=0, validate=validate.Range(min=0, max=400),
                        metadata={"description": "days to move the clock forward"})
    hours = fields.Float(load_default=0, validate=validate.Range(min=0, max=400 * 24),
                         metadata={"description": "hours to move it forward (added to the days)"})


class DemoClock(Schema):
    now = UtcDateTime(metadata={"description": "the engine's time now (the demo clock's in demo mode)"})
    offset_seconds = fields.Float(metadata={"description": "how far the demo clock is ahead of the real time"})
    moved_by = fields.String(allow_none=True, metadata={"description": "who moved it last"})
    moved_at = UtcDateTime(allow_none=True, metadata={"description": "when (real time)"})
    timers_fired = fields.Integer(metadata={"description": "timers that fell due and fired after the move"})


class Definition(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    deployed_at = UtcDateTime()
    source = fields.String(allow_none=True)  # file | modeller | api | cli
    deployed_by = fields.String(allow_none=True)


class Deployed(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    created = fields.Boolean()


class BpmnArgs(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=1_000_000))


class StartArgs(Schema):
    process = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    business_key = fields.String(validate=validate.Length(max=200), allow_none=True)


class InstanceArgs(PageArgs):
    process = fields.String()
    status = fields.String(validate=validate.OneOf(
        ("running", "waiting", "completed", "error", "suspended", "terminated")))


class Task(Schema):
    id = fields.String()
    instance_id = fields.String()
    process = fields.String(attribute="process_key")
    element_id = fields.String()
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    state = fields.String()
    created_at = UtcDateTime()
    due_at = UtcDateTime(allow_none=True)
    claimed_by = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)


class TaskDetail(Task):
    form = fields.Dict(allow_none=True)
    data = fields.Dict()


class TaskArgs(PageArgs):
    scope = fields.String(load_default="organisation", validate=validate.OneOf(("mine", "organisation")))
    state = fields.String(load_default="open", validate=validate.OneOf(("open", "completed", "cancelled")))
    process = fields.String()


class CompleteArgs(Schema):
    data = fields.Dict(keys=fields.String(), required=True)


class Wait(Schema):
    kind = fields.String()
    element_id = fields.String()
    message = fields.String()
    correlation = fields.Dict()
    due_at = UtcDateTime()
    since = UtcDateTime()


class Link(Schema):
    instance_id = fields.String()
    direction = fields.String()
    message = fields.String()


class Instance(Schema):
    id = fields.String()
    process = fields.String(attribute="process_key")
    business_key = fields.String(allow_none=True)
    status = fields.String()
    created_at = UtcDateTime()
    last_progress_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)
    error_message = fields.String(allow_none=True)
    error_element = fields.String(allow_none=True)


class InstanceDetail(Instance):
    open_tasks = fields.List(fields.Nested(Task))
    waiting_for = fields.List(fields.Nested(Wait))
    linked = fields.List(fields.Nested(Link))
    history = fields.List(fields.Nested(Task))


class MessageIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    correlation = fields.Dict(keys=fields.String(), required=True)
    payload = fields.Raw(allow_none=True)
    message_id = fields.String(validate=validate.Length(min=1, max=200))
    ttl_seconds = fields.Integer(validate=validate.Range(min=0, max=10 * 365 * 86400))


class Routed(Schema):
    message_id = fields.String()
    status = fields.String()
    instance_ids = fields.List(fields.String())
    duplicate = fields.Boolean()


class Message(Schema):
    id = fields.String()
    name = fields.String()
    correlation = fields.Dict()
    status = fields.String()
    source_instance_id = fields.String(allow_none=True)
    created_at = UtcDateTime()
    expires_at = UtcDateTime()
    routed_at = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class MessageArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(
        ("pending", "buffered", "delivered", "retained", "started", "expired")))
    name = fields.String()


class ChainMember(Schema):
    id = fields.String()
    process = fields.String()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    phase = fields.String(allow_none=True)


class Chain(Schema):
    procurement = fields.Nested(ChainMember)
    suppliers = fields.List(fields.Nested(ChainMember))
    participants = fields.List(fields.Nested(ChainMember))
    participants_not_shown = fields.Integer()


class ResetArgs(Schema):
    element_id = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MigrateArgs(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))


class StallArgs(PageArgs):
    reason = fields.String(validate=validate.OneOf(
        ("message_wait", "timer_overdue", "task_overdue", "task_unclaimed", "no_progress", "orphan", "error")))


class Stall(Schema):
    instance_id = fields.String()
    process = fields.String()
    business_key = fields.String(allow_none=True)
    reason = fields.String()
    element_id = fields.String(allow_none=True)
    since = UtcDateTime()
    detail = fields.Dict()
    found_at = UtcDateTime()


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item)),
        "total": fields.Integer(metadata={"description": "how many there are; with total_capped, at least this many"}),
        "total_capped": fields.Boolean(metadata={
            "description": "true when counting stopped at `total` (the task inbox counts at most 1,000 past the "
                           "page's start: the last page is then not known)"}),
        "page": fields.Integer(), "per_page": fields.Integer()})


TaskPage = page_schema(Task, "TaskPage")
InstancePage = page_schema(Instance, "InstancePage")
MessagePage = page_schema(Message, "MessagePage")
StallPage = page_schema(Stall, "StallPage")


class ProblemError(Schema):
    """One thing wrong with the request: a field (`field`, dotted for nested ones) or, for a
    diagram, an element, line and file."""

    class Meta:
        unknown = INCLUDE

    field = fields.String(metadata={"description": "the field, dotted for nested ones ('' for the whole body)"})
    element_id = fields.String(allow_none=True, metadata={"description": "the diagram element"})
    line = fields.Integer(allow_none=True, metadata={"description": "the line in the diagram's XML"})
    file = fields.String(allow_none=True, metadata={"description": "the diagram's file"})
    message = fields.String(required=True)


class Problem(Schema):
    """Every error (RFC 9457 problem details), as application/problem+json. Members may be added
    (RFC 9457 extensions): a client ignores those it does not know."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Not found"})
    status = fields.Integer(required=True, metadata={"example": 404})
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemError), metadata={
        "description": "422: each field or diagram element that is wrong"})
    instance_id = fields.String(metadata={"description": "409 when a step failed: the instance now in error"})
    element_id = fields.String(allow_none=True, metadata={"description": "409 when a step failed: where"})


class FormVersion(Schema):
    key = fields.String()
    version = fields.Integer()
    title = fields.String(allow_none=True)
    deployed_at = UtcDateTime()
    source = fields.String(allow_none=True)
    deployed_by = fields.String(allow_none=True)


class FormDocument(FormVersion):
    schema = fields.Dict()


class FormArgs(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=1_000_000))


class MigrationArgs(Schema):
    from_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    dry_run = fields.Boolean(load_default=True)


class MigrationResult(Schema):
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    ok = fields.Boolean()
    reason = fields.String(allow_none=True)


class StartFormDocument(Schema):
    process = fields.String()
    form_key = fields.String()
    version = fields.Integer(allow_none=True)
    schema = fields.Dict()
    account_fields = fields.List(fields.String())
