"""The world the API sweep runs against: the RMA procedures and the test processes deployed, the
demo's cases in their various states, an incident, a suspended and a cancelled case, attachments
(on a case and staged), two diagram drafts, a scenario folder of its own, and a user of every role
and lane with a token.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attachment_files import PDF, image_bytes
from flask import Flask
from sqlalchemy import select
from support import AGENT, ANALYST, DIVIDE_FILE, LIFECYCLE, MANAGER, USERS, lifecycle_files

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.attachments import add_attachment
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.demo import DEMO_USERS, seed_demo
from rma_orchestrator.service.diagram_drafts import create_draft
from rma_orchestrator.service.instances import cancel_instance, start_instance, suspend_instance
from rma_orchestrator.service.users import add_user, create_token
from rma_orchestrator.store.models import TABLES
from rma_orchestrator.store.settings import start_controlled_time
from rma_orchestrator.web import create_app

ROOT = Path(__file__).parents[2]
START = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)  # a Monday 09:30 in Beijing, in a year the calendar knows
_MESSAGE_NAME = re.compile(rb'<bpmn:message [^>]*name="([^"]+)"')


@dataclass(frozen=True)
class World:
    """The app under test and what a request can name that exists in it."""

    app: Flask
    services: Services
    tokens: dict[str, str]  # user name -> bearer token
    roles: dict[str, str]  # user name -> role
    groups: dict[str, frozenset[str]]  # user name -> groups
    files: dict[str, bytes]  # the deployed files
    forms: dict[str, dict[str, Any]]  # form file name -> its JSON Schema
    start_forms: dict[str, str | None]  # process key -> its start form
    messages: tuple[str, ...]  # message names the deployed processes wait for

    def rows(self, table: str, *columns: str, order: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        """The current values of ``columns`` in every row of ``table``, ordered by ``order`` and them.

        Order by what each run makes alike (task ids are random, their cases and elements are not).
        """
        t = TABLES[table]
        with self.services.database.reading() as connection:
            query = select(*(t.c[c] for c in columns)).order_by(*(t.c[c] for c in (*order, *columns)))
            return [tuple(row) for row in connection.execute(query)]

    def with_role(self, *roles: str) -> list[str]:
        """The users who have one of ``roles`` (admins have every role)."""
        return [name for name, role in self.roles.items() if role in (*roles, "admin")]

    def may_work(self, group: str | None) -> list[str]:
        """The users who may work a task of ``group``: its members, managers and admins."""
        return [n for n in self.tokens if group in self.groups[n]] + self.with_role("manager")


def deployable_files() -> dict[str, bytes]:
    """The RMA procedures with their forms, the test lifecycle processes and one that fails."""
    files = {
        p.name: p.read_bytes()
        for folder in ("processes", "forms")
        for p in sorted((ROOT / folder).iterdir())
        if p.suffix in (".bpmn", ".dmn", ".json")
    }
    return {**files, **lifecycle_files(), DIVIDE_FILE.name: DIVIDE_FILE.read_bytes()}


def scenario_folder(workdir: Path) -> Path:
    """A procedures folder of the world's own, so saved recordings never land in processes/tests."""
    folder = workdir / "procedures"
    (folder / "tests").mkdir(parents=True)
    shutil.copy(LIFECYCLE / "scenarios" / "auto_path.yaml", folder / "tests" / "auto_path.yaml")
    return folder


def build_world(url: str, workdir: Path) -> World:
    settings = Settings.from_env(
        {}, data_dir=workdir, database_url=url, controlled_clock=True, processes_dir=scenario_folder(workdir)
    )
    services = bootstrap(settings)
    start_controlled_time(services.database, START)  # the same dates, keys and deadlines every run
    files = deployable_files()
    deploy(services, files, ANALYST)
    seed_demo(services)
    start_instance(services, "divide", {"total": 10, "parts": 0}, AGENT)  # an incident to retry
    order = {"order_no": "SO-SWEEP", "amount": 500, "category": "other"}
    suspend_instance(services, start_instance(services, "order_review", order, AGENT).id, MANAGER)
    cancel_instance(services, start_instance(services, "order_review", order, AGENT).id, MANAGER)
    running = start_instance(services, "order_review", order, AGENT)
    # a second version of order_review, so that a migration of its cases has somewhere to go
    changed = {name: content + b"\n<!-- version 2 -->\n" for name, content in lifecycle_files().items()}
    deploy(services, {name: c for name, c in changed.items() if name.endswith(".bpmn")}, ANALYST)
    add_attachment(services, AGENT, running.id, "photo", "front.png", image_bytes("PNG"))
    add_attachment(services, AGENT, running.id, "proof_of_purchase", "receipt.pdf", PDF)
    add_attachment(services, AGENT, None, "photo", "staged.jpg", image_bytes("JPEG"))
    for process_key in ("return", "order_review"):  # the modeler's drafts
        create_draft(services, process_key, ANALYST)
    roles, groups = {}, {}
    for who, (name, member_of) in USERS.items():
        roles[name] = "staff" if who == "warehouse" else who
        groups[name] = frozenset(member_of)
        add_user(services, name, member_of, roles[name])
    for name, role, member_of in DEMO_USERS:  # added by the demo
        roles[name], groups[name] = role, frozenset(member_of)
    app = create_app(services=services)
    app.config["TESTING"] = True
    definitions = TABLES["process_definition"]
    with services.database.reading() as connection:
        query = select(definitions.c.process_key, definitions.c.start_form)
        start_forms = {key: form for key, form in connection.execute(query)}
    return World(
        app=app,
        services=services,
        tokens={name: create_token(services, name) for name in roles},
        roles=roles,
        groups=groups,
        files=files,
        forms={name: json.loads(content) for name, content in files.items() if name.endswith(".json")},
        start_forms=start_forms,
        messages=tuple(sorted({m.decode() for c in files.values() for m in _MESSAGE_NAME.findall(c)})),
    )
