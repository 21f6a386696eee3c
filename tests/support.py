"""Helpers shared by the test modules: actors of each role and the test process files."""

from __future__ import annotations

from pathlib import Path

from rma_orchestrator.service.context import Actor

DATA = Path(__file__).parent / "data"
LIFECYCLE = DATA / "lifecycle"
DIVIDE_FILE = DATA / "incident" / "divide.bpmn"

ANALYST = Actor("ana", "analyst")
MANAGER = Actor("mia", "manager", frozenset({"customer_service"}))
AGENT = Actor("cs1", "staff", frozenset({"customer_service"}))
ADMIN = Actor("root", "admin")


def lifecycle_files() -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted(LIFECYCLE.iterdir()) if p.suffix in (".bpmn", ".dmn", ".json")
    }
