"""The ``rma`` command: thin click wrappers around the service layer."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import Settings
from .errors import InvalidDefinition, RmaError
from .service.context import SYSTEM, Services

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DEPLOY_DIRS = ("processes", "forms")


def _services() -> Services:
    from .bootstrap import bootstrap

    return bootstrap(Settings.from_env())


def _one_line_errors(func: F) -> F:
    """Service and database errors become one clear line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # the command's own message and exit status, already what click prints
        except InvalidDefinition as error:
            for item in error.items:
                click.echo(_format_definition_error(item), err=True)
            sys.exit(1)
        except RmaError as error:
            details = "; ".join(
                f"{item['field']}: {item['message']}" if item.get("field") else str(item.get("message"))
                for item in error.items
                if item.get("message") != error.message
            )
            raise click.ClickException(f"{error.message}: {details}" if details else error.message) from None
        except Exception as error:  # database down, bad URL, ...
            raise click.ClickException(f"{type(error).__name__}: {str(error).splitlines()[0]}") from None

    return wrapper  # type: ignore[return-value]


def _format_definition_error(item: dict[str, Any]) -> str:
    location = item.get("file") or "-"
    if item.get("line"):
        location += f":{item['line']}"
    element = item.get("element") or "-"
    return f"{location}: {element}: {item.get('message')}"


def _collect_files(paths: tuple[str, ...]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise click.ClickException(f"{raw}: no such file or directory")
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.is_file() and candidate.suffix in (".bpmn", ".dmn", ".json"):
                if candidate.name in files:
                    raise click.ClickException(f"two files named {candidate.name}; file names must be unique")
                files[candidate.name] = candidate.read_bytes()
    return files


@click.group()
def main() -> None:
    """rma-orchestrator: BPMN orchestration of returns, exchanges and repairs."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@_one_line_errors
def db_upgrade() -> None:
    """Create or migrate the schema to the latest revision."""
    from .service.schema import upgrade_database

    click.echo(f"database at revision {upgrade_database(Settings.from_env())}")


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Validate only.")
@_one_line_errors
def deploy(paths: tuple[str, ...], dry_run: bool) -> None:
    """Deploy .bpmn, .dmn and .json files from PATHS (default: processes/ forms/)."""
    from .service.definitions import deploy as deploy_files

    paths = paths or tuple(p for p in DEFAULT_DEPLOY_DIRS if Path(p).exists())
    files = _collect_files(paths)
    if not files:
        click.echo(f"nothing to deploy in {' '.join(paths) or ' '.join(DEFAULT_DEPLOY_DIRS)}")
        return
    result = deploy_files(_services(), files, SYSTEM, dry_run=dry_run)
    for process in result.processes:
        state = "new version" if process.created else "unchanged"
        click.echo(f"{process.process_key} v{process.version} ({state})")
    if not result.processes:
        click.echo("no executable process in these files")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that differ from the deployed ones.")
@_one_line_errors
def pull(directory: Path, force: bool) -> None:
    """Write the latest deployed version of every process, with its DMN and forms, into DIRECTORY."""
    from .service.pull import pull as pull_files

    pulled = pull_files(_services(), directory, SYSTEM, force=force)
    for item in pulled:
        click.echo(f"{item.state} {directory / item.name}")
    if not pulled:
        click.echo("nothing is deployed")


DEFAULT_SCENARIO_DIR = "processes/tests"


@main.command("test-processes")
@click.argument("directory", default=DEFAULT_SCENARIO_DIR, type=click.Path(path_type=Path))
@click.option(
    "--deploy",
    "deploy_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A directory of .bpmn, .dmn and .json files to deploy first; repeat (default: processes/ forms/).",
)
@_one_line_errors
def test_processes(directory: Path, deploy_dirs: tuple[Path, ...]) -> None:
    """Run the YAML scenarios in DIRECTORY (default processes/tests/) against a throwaway database."""
    import tempfile

    from .scenarios.runner import ScenarioResult, run_directory, throwaway_services

    def report(result: ScenarioResult) -> None:
        click.echo(f"PASS {result.name}" if result.passed else f"FAIL {result.name}: {result.message}")

    dirs = list(deploy_dirs) or [Path(p) for p in DEFAULT_DEPLOY_DIRS if Path(p).is_dir()]
    with tempfile.TemporaryDirectory(prefix="rma-scenarios-") as workdir:
        results = run_directory(throwaway_services(Path(workdir)), directory, dirs, on_result=report)
    failed = sum(not result.passed for result in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("files", nargs=-1, required=True)
@_one_line_errors
def validate(files: tuple[str, ...]) -> None:
    """Validate BPMN, DMN and form files: print file:line: element: message [rule] per finding.

    Errors (they refuse a deploy) exit 1; warnings of the lint rules start with "warning: " and leave
    the exit status 0.
    """
    from .service.definitions import validate_files

    result = validate_files(_collect_files(files))
    for finding in result.errors:
        click.echo(f"{_format_definition_error(vars(finding))} [{finding.rule}]", err=True)
    for finding in result.warnings:
        click.echo(f"warning: {_format_definition_error(vars(finding))} [{finding.rule}]", err=True)
    if result.errors:
        sys.exit(1)
    click.echo(f"ok ({len(result.warnings)} warnings)" if result.warnings else "ok")


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="Group (lane) the user works in; repeat.")
@click.option("--role", type=click.Choice(["staff", "manager", "analyst", "admin"]), default="staff")
@click.option("--password", default=None, help="Enables browser sign-in.")
@_one_line_errors
def users_add(name: str, groups: tuple[str, ...], role: str, password: str | None) -> None:
    """Add a user."""
    from .service.users import add_user

    user = add_user(_services(), name, groups, role, password)
    click.echo(f"user {user.name} ({user.role}) in {', '.join(user.groups) or 'no group'}")


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("name")
@_one_line_errors
def tokens_create(name: str) -> None:
    """Create an API token for user NAME and print it alone."""
    from .service.users import create_token

    click.echo(create_token(_services(), name))


_SERVING_OPTIONS = (
    click.option("--host", default="127.0.0.1", show_default=True),
    click.option("--port", default=5000, show_default=True, type=int),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Web worker processes (default: 2 × cores + 1, at most 8).",
    ),
    click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Per worker."),
    click.option("--dev", is_flag=True, help="Werkzeug's development server, the scheduler inside it."),
)


def _serving_options(func: F) -> F:
    """--host, --port, --workers, --threads and --dev, shared by `serve` and `demo`."""
    for option in reversed(_SERVING_OPTIONS):
        func = option(func)
    return func


def _check_dev(dev: bool, workers: int | None) -> None:
    if dev and workers is not None:
        raise click.UsageError("--dev serves from one process: leave out --workers, or --dev")


@main.command()
@click.option("--reset", is_flag=True, help="Drop every table and start from an empty database first.")
@click.option("--serve/--no-serve", "then_serve", default=True, show_default=True, help="Serve afterwards.")
@_serving_options
@_one_line_errors
def demo(
    reset: bool, then_serve: bool, host: str, port: int, workers: int | None, threads: int, dev: bool
) -> None:
    """Migrate, deploy processes/ and forms/, add demo users and cases to an empty database, serve."""
    _check_dev(dev, workers)
    from .service.demo import DEMO_PASSWORD

    password = os.environ.get("RMA_DEMO_PASSWORD") or DEMO_PASSWORD
    if then_serve and not dev:
        # Setting up takes steps, which start the step workers' fork server in the process taking them;
        # gunicorn's workers fork from this process and cannot use a fork server inherited from it
        # (every step would fail): set up in a child process and serve from a clean one.
        from .serving import RMA_COMMAND

        setup = subprocess.run([*RMA_COMMAND, "demo", "--no-serve", *(["--reset"] if reset else [])])
        if setup.returncode:
            raise SystemExit(setup.returncode)
        _welcome(host, port, password)
        _serve(Settings.from_env(), host, port, workers, threads, with_scheduler=True)
        return
    services = _set_up_demo(reset, password)
    if then_serve:
        _welcome(host, port, password)
        _serve_dev(services, host, port, with_scheduler=True)


def _set_up_demo(reset: bool, password: str) -> Services:
    from .service.definitions import deploy as deploy_files
    from .service.demo import seed_demo
    from .service.schema import upgrade_database
    from .service.users import create_token

    upgrade_database(Settings.from_env(), reset=reset)
    services = _services()
    files = _collect_files(tuple(p for p in DEFAULT_DEPLOY_DIRS if Path(p).exists()))
    if files:
        deploy_files(services, files, SYSTEM)
    seed = seed_demo(services, progress=lambda key: click.echo(f"  case {key}"), password=password)
    if seed.skipped:
        click.echo(f"demo data not added: {seed.skipped} (use --reset to start over)")
    else:
        click.echo(f"{len(seed.users)} demo users and {len(seed.cases)} demo cases added")
        click.echo(f"API token of admin_demo: {create_token(services, 'admin_demo')}")
    return services


def _welcome(host: str, port: int, password: str) -> None:
    click.echo(
        f"\nOpen http://{host}:{port}/ and sign in as customer_service_demo, warehouse_demo, "
        f"manager_demo (or any *_demo user) with the password {password!r} unless you changed it."
    )


@main.group()
def calendar() -> None:
    """The Mainland China working-day calendar (holidays and make-up working days)."""


@calendar.command("set")
@click.argument("day", metavar="DATE")
@click.argument("kind", type=click.Choice(["workday", "holiday"]))
@_one_line_errors
def calendar_set(day: str, kind: str) -> None:
    """Make DATE (YYYY-MM-DD) a working day or a holiday, overriding the official calendar."""
    from .service.calendar import set_override

    result = set_override(_services(), day, kind, SYSTEM)
    click.echo(f"{result.date} is a {result.kind}")


@calendar.command("confirm")
@click.argument("year", type=int)
@_one_line_errors
def calendar_confirm(year: int) -> None:
    """Declare YEAR's holidays and make-up working days entered, so deadlines may fall in it."""
    from .service.calendar import calendar_status, confirm_year

    services = _services()
    result = confirm_year(services, year, SYSTEM)
    click.echo(f"{year} confirmed ({result.overrides} overrides entered for it)")
    click.echo(f"the calendar is known until {calendar_status(services).last_known_year}-12-31")


@main.command()
@_serving_options
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Serve web pages and API only; another process fires timers and works batch actions.",
)
@_one_line_errors
def serve(host: str, port: int, workers: int | None, threads: int, dev: bool, no_scheduler: bool) -> None:
    """Serve the web pages and the API with gunicorn; fire timers in one process (unless --no-scheduler)."""
    _check_dev(dev, workers)
    if dev:
        _serve_dev(_services(), host, port, with_scheduler=not no_scheduler)
    else:
        _serve(Settings.from_env(), host, port, workers, threads, with_scheduler=not no_scheduler)


def _serve(
    settings: Settings, host: str, port: int, workers: int | None, threads: int, with_scheduler: bool
) -> None:
    from .serving import default_workers, serve

    workers = workers or default_workers()
    scheduler = "one timer scheduler process" if with_scheduler else "no scheduler"
    click.echo(f"serving on http://{host}:{port} ({workers} workers × {threads} threads, {scheduler})")
    serve(settings, host, port, workers, threads, with_scheduler)


def _serve_dev(services: Services, host: str, port: int, with_scheduler: bool) -> None:
    """Werkzeug's server in this one process, the scheduler beside it: for development only."""
    from werkzeug.serving import run_simple

    from .web import create_app

    scheduler = _start_scheduler(services) if with_scheduler else None
    app = create_app(services=services)
    kind = "development server" if scheduler else "development server, no scheduler"
    click.echo(f"serving on http://{host}:{port} ({kind})")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@main.command("scheduler")
@click.option("--sweep-seconds", default=2.0, show_default=True, type=float, help="Catch-up sweep interval.")
@click.option(
    "--poll-seconds",
    default=0.25,
    show_default=True,
    type=float,
    help="How often to ask the database whether a timer is due (0: alarms and sweep only).",
)
@click.option("--parent-pid", type=int, default=None, hidden=True, help="Exit when this process is gone.")
@_one_line_errors
def scheduler_command(sweep_seconds: float, poll_seconds: float, parent_pid: int | None) -> None:
    """Fire timers and work batch actions (no web server); several may share one PostgreSQL database."""
    import os
    import signal
    import threading

    services = _services()
    scheduler = _start_scheduler(services, sweep_seconds, poll_seconds)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"scheduler running (sweep every {sweep_seconds:g} s, poll every {poll_seconds:g} s)")
    # `rma serve` starts this as its child: when the parent is gone (killed), so is this process
    while not stop.wait(1.0):
        if parent_pid is not None and os.getppid() != parent_pid:
            click.echo("scheduler stopping: its parent process is gone", err=True)
            break
    scheduler.shutdown(wait=True)


def _start_scheduler(services: Services, sweep_seconds: float = 2.0, poll_seconds: float = 0.25) -> Any:
    from .scheduler import TimerScheduler

    services.steps.warm()
    scheduler = TimerScheduler(services, sweep_seconds=sweep_seconds, poll_seconds=poll_seconds)
    scheduler.start()
    return scheduler


if __name__ == "__main__":
    main()
