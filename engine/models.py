"""Tables. `instances` holds the serialized workflow; the other tables are indexed projections
and queues that list views and background work read without deserializing workflows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ProcessDefinition(Base):
    """An immutable deployed version of one process (key = the BPMN process id)."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_definition_key_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(400))
    checksum: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    # Where the version came from (file | modeller | api | cli) and who deployed it.
    source: Mapped[str | None] = mapped_column(String(20))
    deployed_by: Mapped[str | None] = mapped_column(String(200))
    # The form versions its user tasks use, pinned at deploy: JSON {form key: version}.
    form_versions: Mapped[str | None] = mapped_column(Text)


class IdempotencyKey(Base):
    """A start request's Idempotency-Key (scoped by caller and process) and the case it started."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class FormDefinition(Base):
    """An immutable deployed version of one form (a JSON Schema with Swedish titles)."""

    __tablename__ = "form_definitions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_form_key_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(400))
    schema_json: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str | None] = mapped_column(String(20))
    deployed_by: Mapped[str | None] = mapped_column(String(200))


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_status", "status", "process_key"),
        Index("ix_instances_business_key", "business_key"),
        Index("uq_instances_process_business_key", "process_key", "business_key", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    # Read only when the workflow is not cached (deferred): a cached step never loads the blob.
    state: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_element: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_progress_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Optimistic lock: every UPDATE carries "WHERE version = :read_version".
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


OPEN_TASK = text("state = 'open'")


def claim_columns(who: str) -> tuple[str, ...]:
    """The columns of "my tasks" (claimed or completed by me): by creation, with what the filters ask."""
    return (who, "state", "created_at", "id", "organisation", "process_key")


# The inbox's indexes over open tasks (migration 0012): one per sort, each led by the
# organisation and ending with the filters' columns, so that a filtered page or count is
# decided from the index alone.
INBOX_INDEXES = {
    "ix_tasks_open_created": ("created_at", "id", "due_at", "claimed_by", "process_key"),
    "ix_tasks_open_due": ("due_at", "id", "claimed_by", "process_key"),
    "ix_tasks_open_name": ("name", "id", "due_at", "claimed_by", "process_key"),
    "ix_tasks_open_process": ("process_key", "id", "due_at", "claimed_by"),
}


class TaskRow(Base):
    """A user task as the inbox sees it; completed rows stay as the instance's history."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_org_inbox", "organisation", "state", "created_at", "id"),
        Index("ix_tasks_claimed", *claim_columns("claimed_by")),
        Index("ix_tasks_completed_by", *claim_columns("completed_by")),
        Index("ix_tasks_instance", "instance_id", "state"),
        *(Index(name, "organisation", *columns, sqlite_where=OPEN_TASK, postgresql_where=OPEN_TASK)
          for name, columns in INBOX_INDEXES.items()),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(400))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    form_key: Mapped[str | None] = mapped_column(String(200))
    form_version: Mapped[int | None] = mapped_column(Integer)  # as pinned when the task opened
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Wait(Base):
    """What an instance waits for: a message (name + correlation) or a timer (due time)."""

    __tablename__ = "waits"
    __table_args__ = (
        Index("ix_waits_message", "kind", "message_name", "correlation_key"),
        Index("ix_waits_due", "kind", "due_at"),
        Index("ix_waits_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # message | timer
    element_id: Mapped[str] = mapped_column(String(200))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    message_name: Mapped[str | None] = mapped_column(String(200))
    correlation_key: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    since: Mapped[datetime] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    # A timer's failed tries (the lease doubles as the time of the next try); past the limit
    # `failed_at` makes it an incident that waits for an administrator.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)


class Message(Base):
    """Outbox, buffer and log of messages in one table; `status` says where each one is."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status", "status", "created_at"),
        Index("ix_messages_match", "name", "correlation_key", "status"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # JSON
    # pending (in the outbox) | buffered (no receiver yet) | delivered | started | expired |
    # failed (routing failed max_attempts times: an incident until an administrator retries)
    status: Mapped[str] = mapped_column(String(20))
    source_instance_id: Mapped[str | None] = mapped_column(String(36))
    # Kept after delivery for catches that begin waiting later (the thrower's kedja:retain),
    # said by the thrower's step; None on rows written before the column existed.
    retain: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    routed_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed routing tries
    last_error: Mapped[str | None] = mapped_column(Text)


class MessageStartEvent(Base):
    """A deployed version's message start event: which message starts a new instance of it."""

    __tablename__ = "message_start_events"
    __table_args__ = (Index("ix_message_start_events_name", "message_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))


class Delivery(Base):
    """One message reached one instance. The primary key makes delivery idempotent."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_instance", "instance_id"),)

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[datetime] = mapped_column(DateTime)


class InstanceFacts(Base):
    """The variables a process declares for follow-up (`kedja:facts`), as of its last step:
    the key figures are computed from these rows, never from the workflows."""

    __tablename__ = "instance_facts"
    __table_args__ = (Index("ix_instance_facts_process", "process_key"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text)  # JSON object
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Organisation(Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(100))  # e.g. buyer, district, supplier


class User(Base):
    """A person or system account of one organisation, with roles in it."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_token", "token_hash", unique=True),)

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    organisation: Mapped[str] = mapped_column(ForeignKey("organisations.name"))
    roles: Mapped[str] = mapped_column(String(400))  # space-separated
    password_hash: Mapped[str | None] = mapped_column(String(400))
    token_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of a random 256-bit token
    # A web session carries the generation it was signed in with; signing out (or a password
    # change) moves it on, which ends every cookie issued before, wherever it was copied to.
    session_generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AccessLog(Base):
    """Every read of a participant case: who, when, which case."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_instance", "instance_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[str] = mapped_column(String(36))
    what: Mapped[str] = mapped_column(String(200))


class StallFinding(Base):
    """Why an instance looks stuck, as the last detection found it (see engine/stalls.py)."""

    __tablename__ = "stall_findings"
    __table_args__ = (Index("ix_stall_findings_reason", "reason", "since"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(200), primary_key=True)  # "" when none
    process_key: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[str] = mapped_column(Text)  # JSON
    found_at: Mapped[datetime] = mapped_column(DateTime)
    # The instance's row version when found: shown only while the instance still has it.
    instance_version: Mapped[int | None] = mapped_column(Integer)


class AuditEntry(Base):
    """Administrators' actions on instances: who, when, what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_instance", "instance_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[str] = mapped_column(String(36))
    detail: Mapped[str | None] = mapped_column(Text)


class DemoClockRow(Base):
    """How far `kedja demo` has moved time forward (one row, id 1); never read outside demo mode."""

    __tablename__ = "demo_clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_seconds: Mapped[float] = mapped_column(Float, nullable=False, default=0.0, server_default="0")
    moved_by: Mapped[str | None] = mapped_column(String(200))
    moved_at: Mapped[datetime | None] = mapped_column(DateTime)
