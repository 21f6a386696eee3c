"""The unit of work: one connection, one transaction per command, callbacks that run only after commit."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from types import TracebackType

from sqlalchemy import Connection

from .attachments import AttachmentRepository
from .batches import BatchRepository
from .calendar import CalendarRepository
from .db import Database
from .definitions import DefinitionRepository
from .diagram_drafts import DiagramDraftRepository
from .drafts import DraftRepository
from .events import EventLog
from .incidents import IncidentRepository
from .instances import InstanceRepository
from .messages import InboxRepository
from .products import ProductRepository
from .projection import ProjectionRepository
from .saved_filters import SavedFilterRepository
from .settings import SettingRepository
from .sign_in import SignInFailureRepository
from .tasks import TaskRepository
from .timers import TimerRepository
from .users import UserRepository


class UnitOfWork:
    """``with uow:`` opens a write transaction; ``commit()`` ends it; leaving without commit rolls back.

    The repositories share the transaction's connection and run prebuilt Core statements;
    audit events are buffered and written in one statement at commit.
    """

    def __init__(self, database: Database, optimistic: bool = False) -> None:
        self.database = database
        self.optimistic = optimistic  # see Database.write_connection
        self._after_commit: list[Callable[[], None]] = []
        self.events = EventLog()
        self.connection: Connection

    def __enter__(self) -> UnitOfWork:
        self.connection = self.database.write_connection(self.optimistic)
        self.connection.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.events.discard()
        try:
            if self.connection.in_transaction():
                self.connection.rollback()
        finally:
            self.connection.close()
            self._after_commit = []

    def begin_writing(self) -> None:
        """The command has read and decided; its writes follow. An optimistic SQLite transaction
        ends its read here and takes the write lock at once.

        SQLite's read snapshot covers the whole database, so a read transaction kept open while the
        engine ran would conflict with every write committed meanwhile, on any case. Ended here,
        what the command read is checked by its guarded writes instead (the instance's revision,
        the task's state), which fail with StaleRevision only if that case changed. PostgreSQL
        keeps its transaction: its row locks already hold the case.
        """
        if not self.optimistic or self.connection.dialect.name != "sqlite":
            return
        self.connection.rollback()  # nothing was written: the read ends
        self.connection.execution_options(optimistic=False)
        self.connection.begin()
        self.optimistic = False

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        self.events.flush(self.connection)
        self.connection.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    @cached_property
    def instances(self) -> InstanceRepository:
        return InstanceRepository(self.connection, lock_rows=not self.database.is_sqlite)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.connection)

    @cached_property
    def drafts(self) -> DraftRepository:
        return DraftRepository(self.connection)

    @cached_property
    def projection(self) -> ProjectionRepository:
        return ProjectionRepository(self.connection)

    @cached_property
    def timers(self) -> TimerRepository:
        return TimerRepository(self.connection, lock_rows=not self.database.is_sqlite)

    @cached_property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.connection)

    @cached_property
    def incidents(self) -> IncidentRepository:
        return IncidentRepository(self.connection)

    @cached_property
    def definitions(self) -> DefinitionRepository:
        return DefinitionRepository(self.connection)

    @cached_property
    def diagram_drafts(self) -> DiagramDraftRepository:
        return DiagramDraftRepository(self.connection)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.connection)

    @cached_property
    def calendar(self) -> CalendarRepository:
        return CalendarRepository(self.connection)

    @cached_property
    def saved_filters(self) -> SavedFilterRepository:
        return SavedFilterRepository(self.connection)

    @cached_property
    def sign_in_failures(self) -> SignInFailureRepository:
        return SignInFailureRepository(self.connection)

    @cached_property
    def settings(self) -> SettingRepository:
        return SettingRepository(self.connection)

    @cached_property
    def attachments(self) -> AttachmentRepository:
        return AttachmentRepository(self.connection)

    @cached_property
    def products(self) -> ProductRepository:
        return ProductRepository(self.connection)

    @cached_property
    def batches(self) -> BatchRepository:
        return BatchRepository(self.connection, lock_rows=not self.database.is_sqlite)
