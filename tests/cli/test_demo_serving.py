"""`rma demo` (what `make run` starts) as a real process tree: the demo is set up, then gunicorn's
workers serve it, and a step taken in a worker runs the case's scripts like any other.

The set-up runs steps before the workers exist; a worker forked from a process that had started the
step machinery must still be able to start its own (it once answered every step with a 500).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from live_server import call, serving
from support import RMA

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")


def _token(env: dict[str, str], name: str) -> str:
    made = subprocess.run(
        [*RMA, "tokens", "create", name], env=env, capture_output=True, text=True, check=True
    )
    return made.stdout.strip().splitlines()[-1]


def test_a_clerk_completes_a_demo_review_in_a_served_worker(env: dict[str, str], tmp_path: Path) -> None:
    with serving(
        env, tmp_path / "demo.log", "--workers", "1", command="demo", cwd=ROOT, seconds=240
    ) as server:
        token = _token(env, "customer_service_demo")
        status, page = call(server, "GET", "/api/v1/tasks?element_id=review_case&limit=50", token)
        assert status == 200, page
        reviews = [t for t in page["items"] if t["element_id"] == "review_case" and t["assignee"] is None]
        assert reviews, page
        task_id = reviews[0]["id"]
        status, claimed = call(server, "POST", f"/api/v1/tasks/{task_id}/claim", token)
        assert status == 200, claimed
        status, task = call(server, "GET", f"/api/v1/tasks/{task_id}", token)
        assert status == 200, task
        decided = bool(task["data"]["eligible"])
        answer = {"eligible": decided, "approved": decided, "review_note": "checked in a served worker"}
        answer["return_method"] = "courier_pickup" if decided else "not_applicable"
        if decided:
            answer["return_address"] = "上海市浦东新区 1 号"
        status, done = call(server, "POST", f"/api/v1/tasks/{task_id}/complete", token, {"data": answer})
        assert status == 200, (done, server.output()[-4000:])
        assert done["status"] == "completed"
        status, case = call(server, "GET", f"/api/v1/process-instances/{task['instance_id']}", token)
        assert status == 200 and case["status"] in {"running", "completed"}, case
        assert "ChildProcessError" not in server.output()
