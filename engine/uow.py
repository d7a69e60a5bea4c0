"""The unit of work: one command, one transaction.

`with uow:` rolls back unless `commit()` was called; hooks registered with `after_commit`
run once the transaction is durable (that is where cross-instance effects start)."""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .errors import ConcurrentUpdate, EngineError
from .repository import Repository


def translate(err: SQLAlchemyError) -> Exception:
    """A lost race (version check, unique key, lock) becomes ConcurrentUpdate; the rest stays."""
    if isinstance(err, StaleDataError):
        return ConcurrentUpdate("the instance was changed by another transaction")
    if isinstance(err, IntegrityError):
        return ConcurrentUpdate(f"a concurrent transaction wrote the same row: {err.orig}")
    text = str(err)
    if isinstance(err, OperationalError) and any(
            sign in text for sign in ("could not serialize", "deadlock", "database is locked")):
        return ConcurrentUpdate(str(err.orig))
    return err


T = TypeVar("T")


def diagram_outcome(work: Callable[[], T]) -> tuple[T | None, Exception | None]:
    """Run a step's work and say whose a failure is: the engine's refusals (EngineError) and the
    database's trouble (translated: a lost race becomes ConcurrentUpdate) propagate; any other
    exception is the diagram's own logic (or data it made) failing, returned for the caller to
    record on the instance after rolling back."""
    try:
        return work(), None
    except EngineError:
        raise
    except SQLAlchemyError as err:
        raise translate(err) from err
    except Exception as err:
        return None, err


# What a step's operation returns when there is nothing to do: the step then writes nothing.
SKIP = object()


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._after: list[Callable[[], None]] = []
        self._committed = False

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self.repo = Repository(self.session)
        return self

    def after_commit(self, hook: Callable[[], None]) -> None:
        self._after.append(hook)

    def commit(self) -> None:
        try:
            self.repo.flush()  # the rows inserted later, too
            self.session.commit()
        except SQLAlchemyError as err:
            self.session.rollback()
            raise translate(err) from err
        self._committed = True

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()
        if self._committed and exc_type is None:
            for hook in self._after:
                hook()
        if isinstance(exc, SQLAlchemyError) and (translated := translate(exc)) is not exc:
            raise translated from exc  # e.g. an autoflush that lost the version race


class FollowUps:
    """Messages to route once the current transaction committed (the only after-commit work
    that crosses instances), in the order they were thrown."""

    def __init__(self) -> None:
        self._queued: deque[tuple[str, Any]] = deque()

    def route(self, message_id: str, thrown: Any = None) -> None:
        """`thrown`: the row as the step that threw the message wrote it (RouteMessage.thrown)."""
        self._queued.append((message_id, thrown))

    def pop(self) -> tuple[str, Any] | None:
        return self._queued.popleft() if self._queued else None

    def rest(self) -> list[str]:
        """Take the message ids still queued (to hand them over)."""
        rest, self._queued = [message_id for message_id, _thrown in self._queued], deque()
        return rest
