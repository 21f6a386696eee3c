"""Modeler benchmark: what an analyst waits for when changing a procedure, on SQLite and PostgreSQL.

  draft      start a draft of return v1 (its 10 files), save return.bpmn, validate the draft (the
             deploy checks plus the lint rules, against the deployed files and groups)
  compare    return v1 against v2 (the goods-wait reminder changed): elements, decision rows, files
  preview    the due time of a timer expression with working days (add_working_days(2))
  dry run    per case whether it can move from v1 to v2 (each case restored and checked)
  migrate    the movable cases moved as one batch run, each case in its own transaction, worked by
             the batch worker's loop in this process (the scheduler's, without its pauses)

Prints p50 / p95 / max ms for the short commands and the per-case cost of the dry run and the run.
Usage: python bench/modeler.py [CASES] [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from migration_cases import deploy_return, deploy_version_1, reminder_after, start_return  # noqa: E402
from support import ANALYST, private_postgres  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.service import diagram_drafts  # noqa: E402
from rma_orchestrator.service.batch_work import work_on_batches  # noqa: E402
from rma_orchestrator.service.case_migration import dry_run, start_migration  # noqa: E402
from rma_orchestrator.service.context import Services  # noqa: E402
from rma_orchestrator.service.timer_previews import preview_timer  # noqa: E402
from rma_orchestrator.service.version_compare import compare_versions  # noqa: E402
from rma_orchestrator.store.db import Database  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _timed(action: Callable[[], object], repeats: int) -> list[float]:
    action()  # warm: parse, cache, prepare
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return times


def _line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"  {name:<10} p50 {statistics.median(ordered):7.1f}  p95 {p95:7.1f}  max {ordered[-1]:7.1f} ms"


def run(label: str, url: str, cases: int, repeats: int) -> None:
    database = Database(url)
    upgrade(database)
    settings = Settings.from_env({}, database_url=url, controlled_clock=True)
    services: Services = bootstrap(settings, database=database)
    deploy_version_1(services)
    for _ in range(cases):
        start_return(services, f"JD-{uuid.uuid4().hex[:10]}")
    assert deploy_return(services, reminder_after(5)) == 2
    print(f"{label}: {cases} return cases waiting for their parcel on v1, v2 deployed")

    draft = diagram_drafts.create_draft(services, "return", ANALYST, 1)
    content = diagram_drafts.read_draft_file(services, draft.id, "return.bpmn", ANALYST)
    revision = [draft.revision]

    def save() -> None:
        saved = diagram_drafts.save_draft_file(
            services, draft.id, "return.bpmn", content, revision[0], ANALYST
        )
        revision[0] = saved.revision

    new = _timed(lambda: diagram_drafts.create_draft(services, "return", ANALYST, 1), repeats)
    print(_line("new draft", new))
    print(_line("save", _timed(save, repeats)))
    validated = _timed(lambda: diagram_drafts.validate_draft(services, draft.id, ANALYST), repeats)
    print(_line("validate", validated))
    print(_line("compare", _timed(lambda: compare_versions(services, "return", 1, 2, ANALYST), repeats)))
    preview = "add_working_days(2)"
    previewed = _timed(
        lambda: preview_timer(services, kind="timeDate", expression=preview, actor=ANALYST), repeats
    )
    print(_line("preview", previewed))

    began = time.perf_counter()
    plan = dry_run(services, "return", 1, 2, None, ANALYST)
    seconds = time.perf_counter() - began
    assert plan.movable == plan.total == cases, plan
    print(f"  dry run    {cases} cases in {seconds:.2f} s: {seconds * 1000 / cases:.1f} ms a case")

    began = time.perf_counter()
    report = start_migration(services, "return", 1, 2, None, "bench: reminder after 5 days", ANALYST)
    started = time.perf_counter() - began
    began = time.perf_counter()
    moved = work_on_batches(services)
    seconds = time.perf_counter() - began
    assert moved == cases, (moved, report.id)
    print(
        f"  migrate    start {started * 1000:.0f} ms (its dry run included); {cases} cases moved in "
        f"{seconds:.2f} s: {seconds * 1000 / cases:.1f} ms a case"
    )
    services.database.dispose()


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}", cases, repeats)
    with private_postgres(PG_ADMIN, "bench_modeler") as url:
        run("PostgreSQL", url, cases, repeats)


if __name__ == "__main__":
    main()
