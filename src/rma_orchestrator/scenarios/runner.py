"""Running analysts' YAML scenarios (``rma test-processes``) through the service layer, as its client.

The file format is described in ``files``, which reads and checks it. Each scenario drives one
process instance (``driver``): its steps call the same service functions as the API does, as the
actors they name, and the first step that fails (or whose expectation differs) ends it with a
message naming the step and what differs.

``run_directory`` deploys the process files and runs each scenario on services from a factory;
``throwaway_services`` builds each on a fresh SQLite file with a controlled clock. A scenario's
top-level ``clock`` is applied before anything else, then its ``products`` are seeded. On a
database that holds no instance or message yet (a throwaway one) the controlled clock is simply
set to it, earlier or later; on one that does (scenarios sharing a database) it may only move
forward, firing what falls due as a ``clock`` step does, and an earlier time fails the scenario
with a message to run it on a database of its own.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..errors import InvalidDefinition
from ..service.context import Actor, Services
from ..service.definitions import deploy
from .driver import USER, ScenarioDriver
from .files import Scenario, load_scenarios, problem_item

DEPLOYABLE = (".bpmn", ".dmn", ".json")


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    name: str
    passed: bool
    message: str | None
    steps_run: int
    step: str | None = None  # the label of the step that failed ("step 3 (clock PT2H)")


def run_scenario(services: Services, scenario: Scenario) -> ScenarioResult:
    """Set the start clock, then drive a fresh instance through the steps; the first mismatch fails.

    An instance left running is cancelled at the end, so that later clock moves on a shared
    database do not fire its timers.
    """
    run = ScenarioDriver(services, scenario)
    try:
        return drive_scenario(run)
    finally:
        run.cancel_leftover()


def drive_scenario(run: ScenarioDriver) -> ScenarioResult:
    """The steps of ``run``'s scenario, leaving its instance as the last step left it (no cancel)."""
    scenario, passed = run.scenario, 0
    if scenario.clock is not None:
        problem = run.attempt(run.start_clock, None)
        if problem is not None:
            message = f"clock {scenario.clock.isoformat()}: {problem}"
            return ScenarioResult(scenario.file, scenario.name, False, message, 0, "clock")
    for number, seed in enumerate(scenario.products):
        problem = run.attempt(lambda seed=seed: run.seed_product(seed), None)
        if problem is not None:
            label = f"products.{number}"
            return ScenarioResult(scenario.file, scenario.name, False, f"{label}: {problem}", 0, label)
    for step in scenario.steps:
        problem = run.step(step)
        if problem is not None:
            message = f"{step.label}: {problem}"
            return ScenarioResult(scenario.file, scenario.name, False, message, passed, step.label)
        passed += step.number > 0
    return ScenarioResult(scenario.file, scenario.name, True, None, passed)


def run_directory(
    services_factory: Callable[[], Services],
    directory: Path,
    deploy_dirs: list[Path],
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Run every scenario of ``directory``, each on services from the factory with ``deploy_dirs`` deployed.

    Unreadable scenario files (InvalidScenario) and undeployable processes (InvalidDefinition)
    raise before any scenario runs; ``on_result`` hears each result as it comes (progress).
    """
    scenarios = load_scenarios(directory)
    files = _deployable_files(deploy_dirs)
    results = []
    for scenario in scenarios:
        services = services_factory()
        try:
            deploy(services, files, Actor(USER, "analyst"))
            results.append(run_scenario(services, scenario))
            if on_result is not None:
                on_result(results[-1])
        finally:
            services.database.dispose()
    return results


def throwaway_services(
    workdir: Path,
    environ: Mapping[str, str] | None = None,
    base: Settings | None = None,
    prepare: Callable[[Services], None] | None = None,
) -> Callable[[], Services]:
    """A factory of services, each on a new migrated SQLite file under ``workdir``, clock controlled.

    Their other settings come from ``base`` when given (a server's own), else from ``environ``;
    ``prepare`` is applied once to the template every file is copied from (a deploy, say).
    """
    from ..bootstrap import bootstrap
    from ..service.schema import upgrade_database

    def settings(path: Path) -> Settings:
        url = f"sqlite:///{path.resolve()}"
        if base is not None:
            return replace(base, database_url=url, controlled_clock=True, data_dir=workdir)
        return Settings.from_env(
            dict(environ) if environ is not None else None,
            database_url=f"sqlite:///{path.resolve()}",
            controlled_clock=True,
            data_dir=workdir,
        )

    template = workdir / "template.sqlite3"
    upgrade_database(settings(template))
    if prepare is not None:
        prepared = bootstrap(settings(template))
        try:
            prepare(prepared)
        finally:
            prepared.database.dispose()
    numbers = itertools.count(1)

    def build() -> Services:
        path = workdir / f"scenario-{next(numbers)}.sqlite3"
        shutil.copyfile(template, path)
        return bootstrap(settings(path))

    return build


def _deployable_files(directories: list[Path]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for directory in directories:
        if not directory.is_dir():
            raise InvalidDefinition([problem_item(directory, "no such directory to deploy")])
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.suffix in DEPLOYABLE:
                if path.name in files:
                    raise InvalidDefinition(
                        [problem_item(path, "two files of this name; file names must be unique")]
                    )
                files[path.name] = path.read_bytes()
    if not files:
        shown = ", ".join(str(d) for d in directories) or "(no directory given)"
        raise InvalidDefinition([problem_item(shown, "no .bpmn, .dmn or .json files to deploy")])
    return files
