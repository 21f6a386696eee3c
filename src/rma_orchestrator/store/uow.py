"""The unit of work: one transaction per command, with callbacks that run only after commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..errors import NotFound, StaleRevision
from .db import Database
from .models import Event, ProcessInstance

PENDING_EVENTS = "rma_pending_events"  # audit events buffered on the session (service/audit.py)


class UnitOfWork:
    """``with uow:`` opens a write transaction; ``commit()`` ends it; leaving without commit rolls back."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._after_commit: list[Callable[[], None]] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self.database.writer()
        self.session.begin()
        self._after_commit = []
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.session.info.pop(PENDING_EVENTS, None)
        try:
            if self.session.in_transaction():
                self.session.rollback()
        finally:
            self.session.close()
        if isinstance(exc, StaleDataError):  # a flush before commit found the revision changed
            raise StaleRevision(f"the case changed while this command ran; try again ({exc})") from None

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        events = self.session.info.pop(PENDING_EVENTS, None)
        try:
            if events:
                self.session.execute(insert(Event), events)
            self.session.commit()
        except StaleDataError as error:
            raise StaleRevision(f"the case changed while this command ran; try again ({error})") from None
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def lock_instance(self, instance_id: int) -> ProcessInstance:
        """Load an instance row for update (the write lock on SQLite is already held)."""
        instance = self._lock(ProcessInstance.id == instance_id)
        if instance is None:
            raise NotFound(f"process instance {instance_id} not found")
        return instance

    def lock_instance_by_business_key(self, business_key: str) -> ProcessInstance:
        instance = self._lock(ProcessInstance.business_key == business_key)
        if instance is None:
            raise NotFound(f"no case with business key {business_key}")
        return instance

    def _lock(self, condition: ColumnElement[bool]) -> ProcessInstance | None:
        query = select(ProcessInstance).where(condition)
        if not self.database.is_sqlite:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()
