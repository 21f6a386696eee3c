"""The staff workspace served for a real browser: the RMA procedures deployed on SQLite, staff with
passwords, and the app on a free port in a thread of the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from page_client import PASSWORD
from rma_cases import case_data, deploy_rma
from support import AGENT, free_port
from werkzeug.serving import make_server

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.users import add_user
from rma_orchestrator.store.db import Database
from rma_orchestrator.store.migrate import upgrade
from rma_orchestrator.web import create_app

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
PEOPLE = {
    "agent": ("agent_li", "staff", ["customer_service"]),
    "agent2": ("agent_wang", "staff", ["customer_service"]),
    "warehouse": ("wh_zhang", "staff", ["warehouse"]),
    "manager": ("mgr_zhou", "manager", ["after_sales_manager"]),
}


@dataclass
class Workspace:
    services: Services
    base: str

    def start_case(self, **changes: Any) -> InstanceInfo:
        return start_instance(self.services, "rma_case", case_data(self.services, **changes), AGENT)

    def open_task(self, instance: InstanceInfo) -> str:
        (task,) = [t for t in get_instance(self.services, instance.id, AGENT).tasks if t.status == "open"]
        return task.id

    def sign_in(self, page: Any, who: str) -> None:
        page.goto(f"{self.base}/login")
        page.fill("#name", PEOPLE[who][0])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{self.base}/tasks**")


def classes(page: Any, element_id: str) -> list[str]:
    """The CSS classes bpmn-js gave an element of the diagram shown (our markers among them)."""
    return str(page.locator(f".djs-element[data-element-id='{element_id}']").get_attribute("class")).split()


def page_problems(page: Any) -> list[str]:
    """A list that fills with the page's script errors and what its content security policy refused."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serving_workspace(tmp_path: Path, **settings_given: Any) -> Iterator[Workspace]:
    """The workspace on ``tmp_path``; ``settings_given`` override the settings (``processes_dir=``)."""
    settings = Settings.from_env({}, data_dir=tmp_path, controlled_clock=True, **settings_given)
    database = Database(settings.resolved_database_url)
    upgrade(database)
    database.dispose()
    services = bootstrap(settings)
    deploy_rma(services)
    for name, role, groups in PEOPLE.values():
        add_user(services, name, groups, role, PASSWORD)
    app = create_app(services=services)
    app.config["INBOX_REFRESH_SECONDS"] = 1
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Workspace(services, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        services.database.dispose()


@contextmanager
def analysts_workspace(tmp_path: Path, **settings_given: Any) -> Iterator[Workspace]:
    """The workspace with the analyst ``ana_chen`` and a batch worker beside the app (as
    ``rma scheduler`` runs one), so migration runs started from the pages are worked."""
    from rma_orchestrator.scheduler import BatchWorker

    with serving_workspace(tmp_path, **settings_given) as served:
        add_user(served.services, "ana_chen", [], "analyst", PASSWORD)
        worker = BatchWorker(served.services)
        worker.start()
        try:
            yield served
        finally:
            worker.stop()


def sign_in_as(page: Any, workspace: Workspace, name: str) -> None:
    """Sign ``name`` in with the tests' password and wait for the page they land on."""
    page.goto(f"{workspace.base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
