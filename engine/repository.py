"""Loading and saving rows. Never commits: the unit of work does."""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from .errors import ConcurrentUpdate, NotFound
from .models import (
    Delivery,
    Instance,
    InstanceFacts,
    Message,
    MessageStartEvent,
    ProcessDefinition,
    TaskRow,
    Wait,
)
from .statuses import ACTIVE, ROUTABLE, MessageStatus, TaskState, WaitKind

ACTIVE_STATUSES = ACTIVE


_BY_KEY: dict[type, object] = {}


def _by_key(model):
    """SELECT of one row by its one-column primary key, built once per model: `session.get`
    builds its statement (and that statement's cache key) anew on every call, a step's
    largest share of SQLAlchemy's own time."""
    statement = _BY_KEY.get(model)
    if statement is None:
        (column,) = model.__table__.primary_key.columns
        statement = _BY_KEY[model] = select(model).where(column == bindparam("key"))
    return statement


def fetch(session: Session, model, key, what: str):
    """The row with this primary key (the session's own copy when it holds one, as
    `session.get`), or NotFound naming what was looked for."""
    row = session.identity_map.get(identity_key(model, key))
    if row is None:
        row = session.execute(_by_key(model), {"key": key}).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no {what} {key}")
    return row


# The statements of routing and stepping, built once (see _by_key).
_LATEST_VERSIONS = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
                    .group_by(ProcessDefinition.key).subquery())
_MESSAGE_STARTS = (
    select(MessageStartEvent)
    .join(ProcessDefinition, ProcessDefinition.id == MessageStartEvent.definition_id)
    .join(_LATEST_VERSIONS, (_LATEST_VERSIONS.c.key == ProcessDefinition.key)
          & (_LATEST_VERSIONS.c.version == ProcessDefinition.version))
    .where(MessageStartEvent.message_name == bindparam("name"))
    .order_by(MessageStartEvent.process_key))
_DEFINITION_OF = select(Instance.definition_id).where(Instance.id == bindparam("instance_id"))
_TASK_AND_INSTANCE = (select(TaskRow, Instance).join(Instance, Instance.id == TaskRow.instance_id)
                      .where(TaskRow.id == bindparam("task_id")))
_RECEIVERS = (select(Wait.instance_id).distinct()
              .join(Instance, Instance.id == Wait.instance_id)
              .where(Wait.kind == WaitKind.MESSAGE, Wait.message_name == bindparam("name"),
                     Wait.correlation_key == bindparam("key"), Instance.status.in_(ACTIVE))
              .order_by(Wait.instance_id))
# The receivers' rows themselves (their state deferred), each with its catches that wait and
# whether the message reached it already: the step that delivers to the one receiver then
# finds its instance in the session and its catch at hand, instead of reading them again.
_RECEIVING_INSTANCES = (select(Instance, Wait.spiff_task_id, Wait.element_id,
                               exists().where(Delivery.message_id == bindparam("message_id"),
                                              Delivery.instance_id == Instance.id).label("delivered"))
                        .join(Wait, Wait.instance_id == Instance.id)
                        .where(Wait.kind == WaitKind.MESSAGE, Wait.message_name == bindparam("name"),
                               Wait.correlation_key == bindparam("key"), Instance.status.in_(ACTIVE))
                        .order_by(Instance.id, Wait.since, Wait.id))
_MATCHING_WAIT = (select(Wait.spiff_task_id, Wait.element_id)
                  .where(Wait.instance_id == bindparam("instance_id"), Wait.kind == WaitKind.MESSAGE,
                         Wait.message_name == bindparam("name"), Wait.correlation_key == bindparam("key"))
                  .order_by(Wait.since, Wait.id).limit(1))
_MATCHING_UNDELIVERED_WAIT = _MATCHING_WAIT.where(~exists().where(
    Delivery.message_id == bindparam("message_id"), Delivery.instance_id == bindparam("instance_id")))
_messages = Message.__table__
_waits = Wait.__table__
# A new wait's row is inserted with RETURNING its id and whether any message is buffered (or
# retained) for it: nearly always none, and then the step asks nothing more (take_buffered).
_BUFFERED_FOR_NEW_WAIT = (select(_messages.c.id)
                          .where(_messages.c.name == bindparam("buffered_name"),
                                 _messages.c.correlation_key == bindparam("buffered_key"),
                                 _messages.c.status.in_((MessageStatus.BUFFERED, MessageStatus.RETAINED)))
                          .limit(1).scalar_subquery())
_INSERT_WAIT = _waits.insert().returning(_waits.c.id, _BUFFERED_FOR_NEW_WAIT.isnot(None))
_MESSAGE_ROW = select(_messages).where(_messages.c.id == bindparam("message_id"))
_CLOSE_DELIVERED = (update(_messages)
                    .where(_messages.c.id == bindparam("message_id"), _messages.c.status.in_(ROUTABLE))
                    .values(status=MessageStatus.DELIVERED, routed_at=bindparam("at"), lease_owner=None,
                            lease_until=None))
_MARK_STARTED = (update(_messages)
                 .where(_messages.c.id == bindparam("message_id"), _messages.c.status.in_(ROUTABLE))
                 .values(status=MessageStatus.STARTED, routed_at=bindparam("at"), lease_owner=None, lease_until=None))
_BUFFERED = (select(_messages.c.id)
             .where(_messages.c.name == bindparam("name"), _messages.c.correlation_key == bindparam("key"),
                    _messages.c.status.in_((MessageStatus.BUFFERED, MessageStatus.RETAINED)),
                    _messages.c.expires_at > bindparam("now"))
             .order_by(_messages.c.created_at))


# What a step changes on its instance's row. A step that changed nothing else is written with
# one statement built once (save_stepped), not by the ORM's flush: for one row the flush's
# bookkeeping costs more than the statement (measured: read, write and commit of the row took
# 240 us through the ORM against 118 us so on SQLite).
_STEP_COLUMNS = frozenset(("status", "state", "completed_at", "error_message", "error_element", "last_progress_at"))
_instances = Instance.__table__
_SAVE_STEPPED = (update(_instances)
                 .where(_instances.c.id == bindparam("instance_id"), _instances.c.version == bindparam("read_version"))
                 .values(version=bindparam("new_version"), **{name: bindparam(name) for name in _STEP_COLUMNS}))


class _Catch(NamedTuple):
    """A catch that waits for a message, as `matching_wait` gives it."""

    spiff_task_id: str
    element_id: str


class NewId:
    """The id of a row inserted later (insert_later): set when it is written. For a wait, also
    whether a buffered or retained message matched it then (take_buffered looks for them)."""

    id: int | None = None
    buffered: bool = True


# Rows inserted later are written in this order, the referenced before the referring.
_INSERT_ORDER = (Message.__table__, TaskRow.__table__, Wait.__table__, InstanceFacts.__table__, Delivery.__table__)
_INSERTS = {table: table.insert() for table in _INSERT_ORDER}  # built once (see _by_key)


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._later: dict[object, list[dict]] = {}
        self._new_ids: list[tuple[dict, NewId]] = []

    def add(self, row) -> None:
        self.session.add(row)

    def delete(self, row) -> None:
        self.session.delete(row)

    def insert_later(self, model, values: dict, new_id: NewId | None = None) -> None:
        """A row a step adds and never reads back: written at the next flush, after the ORM's
        rows (the instance it refers to may be new), with the other rows of its table in one
        statement, without an ORM object's bookkeeping (most of what a flush costs). Waits ask
        for their `new_id` (the projection keeps it)."""
        if new_id is not None:
            self._new_ids.append((values, new_id))
        else:
            self._later.setdefault(model.__table__, []).append(values)

    def save_stepped(self, instance: Instance) -> None:
        """Write a stepped instance's row now, version-checked like the ORM's flush would (a
        lost race is ConcurrentUpdate), when the step changed only the step's columns of a row
        that was read: the instance then leaves the session, so the flush does not write it
        again, and keeps the values and the new version for whoever reads it after. Anything
        else (a new instance, a migration's new version) is left to the flush."""
        state = instance_state(instance)
        if not (state.persistent and state.modified and state.committed_state.keys() <= _STEP_COLUMNS
                and state.dict.keys() >= _STEP_COLUMNS):
            return
        values = state.dict
        read_version = values["version"]
        result = self.session.connection().execute(_SAVE_STEPPED, {
            "instance_id": values["id"], "read_version": read_version, "new_version": read_version + 1,
            **{name: values[name] for name in _STEP_COLUMNS}})
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"instance {values['id']} was changed by another transaction; retry")
        self.session.expunge(instance)
        set_committed_value(instance, "version", read_version + 1)

    def flush(self) -> None:
        self.session.flush()
        if not self._later and not self._new_ids:
            return
        connection, later = self.session.connection(), self._later
        self._later = {}
        for table in _INSERT_ORDER:
            if table is Wait.__table__:
                for values, new_id in self._new_ids:
                    new_id.id, new_id.buffered = connection.execute(_INSERT_WAIT, {
                        **values, "buffered_name": values["message_name"],
                        "buffered_key": values["correlation_key"]}).one()
                self._new_ids = []
            if rows := later.pop(table, None):
                connection.execute(_INSERTS[table], rows)
        if later:
            raise AssertionError(f"no order to insert rows of {sorted(t.name for t in later)}")

    # --- definitions -------------------------------------------------------------------
    def definition(self, definition_id: int) -> ProcessDefinition:
        return fetch(self.session, ProcessDefinition, definition_id, "process definition")

    def instances_of_definition(self, definition_id: int, statuses) -> list[Instance]:
        return list(self.session.scalars(select(Instance).where(
            Instance.definition_id == definition_id, Instance.status.in_(statuses)).order_by(Instance.created_at)))

    def latest_definition(self, key: str) -> ProcessDefinition | None:
        return self.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()

    def definition_version(self, key: str, version: int) -> ProcessDefinition | None:
        return self.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
        ).first()

    def definitions(self) -> list[ProcessDefinition]:
        return list(self.session.scalars(
            select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)))

    def message_starts(self, message_name: str) -> list[MessageStartEvent]:
        """Message start events of the latest version of each process."""
        return list(self.session.scalars(_MESSAGE_STARTS, {"name": message_name}))

    # --- instances ---------------------------------------------------------------------
    def instance(self, instance_id: str) -> Instance:
        return fetch(self.session, Instance, instance_id, "instance")

    def definition_of(self, instance_id: str) -> int | None:
        """The instance's process version, without loading its row (and its state)."""
        return self.session.scalar(_DEFINITION_OF, {"instance_id": instance_id})

    # --- task projection ---------------------------------------------------------------
    def task(self, task_id: str) -> TaskRow:
        return fetch(self.session, TaskRow, task_id, "task")

    def task_and_instance(self, task_id: str) -> tuple[TaskRow, Instance]:
        """The task's row and its instance's, in one query (a completion's first read)."""
        found = self.session.execute(_TASK_AND_INSTANCE, {"task_id": task_id}).first()
        if found is None:
            raise NotFound(f"no task {task_id}")
        return found[0], found[1]

    def open_tasks_of(self, instance_id: str) -> list[TaskRow]:
        return list(self.session.scalars(
            select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.state == TaskState.OPEN)))

    def claim_task(self, task_id: str, username: str, now: datetime) -> bool:
        """Claim only if unclaimed (or already ours): the WHERE clause decides races."""
        result = self.session.execute(
            update(TaskRow)
            .where(TaskRow.id == task_id, TaskRow.state == TaskState.OPEN,
                   or_(TaskRow.claimed_by.is_(None), TaskRow.claimed_by == username))
            .values(claimed_by=username, claimed_at=now)
        )
        return result.rowcount == 1

    # --- waits -------------------------------------------------------------------------
    def wait(self, wait_id: int) -> Wait | None:
        return self.session.get(Wait, wait_id)

    def message_receivers(self, name: str, key: str) -> list[str]:
        """Active instances with a waiting catch for this message name and correlation."""
        return list(self.session.scalars(_RECEIVERS, {"name": name, "key": key}))

    def receiving_instances(self, name: str, key: str, message_id: str) -> list[tuple[Instance, Any]]:
        """The rows of the instances `message_receivers` names (keep them: the session holds
        rows weakly), each with its first matching catch as `matching_wait(undelivered=...)`
        gives it: None when the message reached the instance already."""
        found: dict[str, tuple[Instance, Any]] = {}
        for instance, task_id, element_id, delivered in self.session.execute(
                _RECEIVING_INSTANCES, {"name": name, "key": key, "message_id": message_id}):
            if instance.id not in found:  # its earliest catch comes first
                found[instance.id] = (instance, None if delivered else _Catch(task_id, element_id))
        return list(found.values())

    def matching_wait(self, instance_id: str, name: str, key: str, undelivered: str | None = None):
        """The instance's first catch waiting for this message name and correlation (its
        spiff_task_id and element_id); with `undelivered` (a message id), none if that message
        reached the instance already (its delivery row, in the same query)."""
        params = {"instance_id": instance_id, "name": name, "key": key}
        if undelivered is None:
            return self.session.connection().execute(_MATCHING_WAIT, params).first()
        return self.session.connection().execute(_MATCHING_UNDELIVERED_WAIT,
                                                 {**params, "message_id": undelivered}).first()

    def claim_due_timers(self, now: datetime, owner: str, until: datetime, limit: int) -> list[int]:
        """Reserve due timers for this node. SKIP LOCKED lets other nodes take the rest at once."""
        ids = list(self.session.scalars(
            select(Wait.id)
            .join(Instance, Instance.id == Wait.instance_id)
            .where(Wait.kind == WaitKind.TIMER, Wait.due_at <= now, Instance.status.in_(ACTIVE_STATUSES),
                   Wait.failed_at.is_(None), or_(Wait.lease_until.is_(None), Wait.lease_until < now))
            .order_by(Wait.due_at).limit(limit)
            .with_for_update(skip_locked=True, of=Wait)
        ))
        if ids:
            self.session.execute(update(Wait).where(Wait.id.in_(ids)).values(lease_owner=owner, lease_until=until))
        return ids

    def take_turn(self, job: int) -> bool:
        """Whether this transaction may run `job` now: on PostgreSQL one node at a time (a
        transaction-scoped advisory lock, taken without waiting); SQLite has one writer anyway."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        return bool(self.session.scalar(select(func.pg_try_advisory_xact_lock(job))))

    # --- messages ----------------------------------------------------------------------
    def message(self, message_id: str) -> Message:
        return fetch(self.session, Message, message_id, "message")

    def message_row(self, message_id: str):
        """The message's columns as a plain row (routing reads them, never changes the object)."""
        row = self.session.connection().execute(_MESSAGE_ROW, {"message_id": message_id}).first()
        if row is None:
            raise NotFound(f"no message {message_id}")
        return row

    def close_delivered(self, message_id: str, now: datetime) -> bool:
        """Mark the message delivered, if it is still open (False: another transaction routed it)."""
        return self.session.connection().execute(_CLOSE_DELIVERED, {"message_id": message_id, "at": now}).rowcount == 1

    def message_status(self, message_id: str) -> str:
        """As the database has it now (another transaction may have moved it since it was read)."""
        return self.session.scalar(select(Message.status).where(Message.id == message_id))

    def find_message(self, message_id: str) -> Message | None:
        return self.session.get(Message, message_id)

    def claim_message(self, message_id: str, owner: str, now: datetime, until: datetime) -> bool:
        result = self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status.in_(ROUTABLE),
                   or_(Message.lease_until.is_(None), Message.lease_until < now))
            .values(lease_owner=owner, lease_until=until)
        )
        return result.rowcount == 1

    def release_messages(self, message_ids: list[str]) -> None:
        """Outbox rows this node will not route now: free for the next sweep of any node."""
        self.session.execute(update(Message).where(Message.id.in_(message_ids), Message.status == MessageStatus.PENDING)
                             .values(lease_owner=None, lease_until=None))

    def mark_message_started(self, message_id: str, now: datetime) -> bool:
        """Only one transaction can move a message from waiting to started."""
        # On the table, in the transaction's connection: no search of the session's rows for the
        # message (the ORM's bulk update evaluates its WHERE on each) and no autoflush.
        return self.session.connection().execute(_MARK_STARTED, {"message_id": message_id, "at": now}).rowcount == 1

    def unrouted_messages(self, now: datetime, limit: int) -> list[str]:
        """Outbox rows whose after-commit delivery did not happen (a crash) or gave up."""
        return list(self.session.scalars(
            select(Message.id)
            .where(Message.status == MessageStatus.PENDING,
                   or_(Message.lease_until.is_(None), Message.lease_until < now))
            .order_by(Message.created_at).limit(limit)
        ))

    def buffered_matching(self, name: str, key: str, now: datetime) -> list[str]:
        """Buffered (or retained) messages for a catch that begins waiting. On the table, without
        autoflush: what this transaction wrote is no buffered message (its outbox rows are
        pending), so the step's rows are flushed once, after."""
        return list(self.session.connection().scalars(_BUFFERED, {"name": name, "key": key, "now": now}))

    def buffered_with_receiver(self, now: datetime, limit: int) -> list[str]:
        """Buffered messages for which a waiting catch exists now (the sweep's backstop)."""
        return list(self.session.scalars(
            select(Message.id).distinct()
            .join(Wait, (Wait.message_name == Message.name) & (Wait.correlation_key == Message.correlation_key))
            .join(Instance, Instance.id == Wait.instance_id)
            .where(Message.status.in_((MessageStatus.BUFFERED, MessageStatus.RETAINED)), Message.expires_at > now,
                   Wait.kind == WaitKind.MESSAGE, Instance.status.in_(ACTIVE_STATUSES),
                   ~exists().where(Delivery.message_id == Message.id, Delivery.instance_id == Instance.id))
            .limit(limit)
        ))

    def expire_messages(self, now: datetime) -> int:
        result = self.session.execute(
            update(Message).where(Message.status == MessageStatus.BUFFERED, Message.expires_at <= now)
            .values(status=MessageStatus.EXPIRED, lease_owner=None, lease_until=None)
        )
        # A retained message was delivered: at its end it is simply delivered.
        self.session.execute(
            update(Message).where(Message.status == MessageStatus.RETAINED, Message.expires_at <= now)
            .values(status=MessageStatus.DELIVERED, lease_owner=None, lease_until=None))
        return result.rowcount

    def delivery_count(self, message_id: str) -> int:
        return self.session.scalar(select(func.count()).select_from(Delivery)
                                   .where(Delivery.message_id == message_id)) or 0
