"""The ``rma`` command: thin click wrappers around the service layer."""

from __future__ import annotations

import functools
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
        except InvalidDefinition as error:
            for item in error.items:
                click.echo(_format_definition_error(item), err=True)
            sys.exit(1)
        except RmaError as error:
            raise click.ClickException(error.message) from None
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
    from .store.db import Database
    from .store.migrate import current_revision, upgrade

    database = Database(Settings.from_env().resolved_database_url)
    upgrade(database)
    click.echo(f"database at revision {current_revision(database)}")


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
@click.argument("files", nargs=-1, required=True)
@_one_line_errors
def validate(files: tuple[str, ...]) -> None:
    """Validate BPMN, DMN and form files; print file:line: element: message per error."""
    from .service.definitions import validate_files

    validate_files(_collect_files(files))
    click.echo("ok")


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
    click.echo(f"user {user['name']} ({user['role']}) in {', '.join(user['groups']) or 'no group'}")


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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@_one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the web pages and the API."""
    from werkzeug.serving import run_simple

    from .web import create_app

    app = create_app(services=_services())
    click.echo(f"serving on http://{host}:{port}")
    run_simple(host, port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
