"""`rma pull DIR`: the latest deployed versions written back to a folder; a differing file is kept
unless --force; deploying the pulled folder again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from support import ANALYST, LIFECYCLE, lifecycle_files

from rma_orchestrator.service import diagram_drafts as drafts
from rma_orchestrator.service.context import Services

Rma = Callable[..., Result]
USED = {"order_review.bpmn", "order_fix.bpmn", "review_rules.dmn", "review_form.json", "order_start.json"}


def _folder(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.iterdir()}


def test_pull_writes_the_deployed_files_and_a_deploy_of_them_changes_nothing(
    rma: Rma, tmp_path: Path
) -> None:
    assert rma("deploy", str(LIFECYCLE)).exit_code == 0
    target = tmp_path / "pulled" / "processes"
    pulled = rma("pull", str(target))
    assert pulled.exit_code == 0, pulled.output
    assert pulled.stdout.splitlines() == [f"written {target / name}" for name in sorted(USED)]
    assert _folder(target) == {name: lifecycle_files()[name] for name in USED}
    again = rma("pull", str(target))
    assert again.stdout.splitlines() == [f"unchanged {target / name}" for name in sorted(USED)]
    redeployed = rma("deploy", str(target))
    assert redeployed.stdout.splitlines() == ["order_fix v1 (unchanged)", "order_review v1 (unchanged)"]


def test_a_differing_file_is_kept_unless_forced(rma: Rma, tmp_path: Path) -> None:
    assert rma("deploy", str(LIFECYCLE)).exit_code == 0
    target = tmp_path / "processes"
    target.mkdir()
    (target / "review_rules.dmn").write_bytes(b"<mine/>")
    refused = rma("pull", str(target))
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        f"Error: {target / 'review_rules.dmn'} differs from the deployed file; pass --force to overwrite"
    ]
    assert _folder(target) == {"review_rules.dmn": b"<mine/>"}  # nothing written
    forced = rma("pull", str(target), "--force")
    assert forced.exit_code == 0
    assert f"overwritten {target / 'review_rules.dmn'}" in forced.stdout.splitlines()
    assert _folder(target) == {name: lifecycle_files()[name] for name in USED}


def test_pull_writes_what_the_modeler_deployed_last(rma: Rma, services: Services, tmp_path: Path) -> None:
    assert rma("deploy", str(LIFECYCLE)).exit_code == 0
    draft = drafts.create_draft(services, "order_fix", ANALYST)
    changed = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"fixed = 'yes'")
    saved = drafts.save_draft_file(services, draft.id, "order_fix.bpmn", changed, 1, ANALYST)
    drafts.deploy_draft(services, draft.id, "text flag", saved.revision, ANALYST)
    assert rma("pull", str(tmp_path / "pulled")).exit_code == 0
    assert (tmp_path / "pulled" / "order_fix.bpmn").read_bytes() == changed


def test_pull_errors_are_one_line(rma: Rma, tmp_path: Path) -> None:
    nothing = rma("pull", str(tmp_path / "empty"))
    assert (nothing.exit_code, nothing.stdout) == (0, "nothing is deployed\n")
    assert rma("deploy", str(LIFECYCLE)).exit_code == 0
    (tmp_path / "a_file").write_text("x")
    refused = rma("pull", str(tmp_path / "a_file"))
    assert refused.exit_code == 1 and len(refused.output.strip().splitlines()) == 1
    assert "is not a directory" in refused.output
