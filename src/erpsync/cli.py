"""The ``erpsync`` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from erpsync.protocol.signing import load_or_create_secret

app = typer.Typer(help="erpsync — an open-source ERP Sync server.", no_args_is_help=True)
connector_app = typer.Typer(help="Serve and check sync connectors.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo ERP: a sandbox ERP with its own database.", no_args_is_help=True)
app.add_typer(connector_app, name="connector")
app.add_typer(demo_app, name="demo-erp")

console = Console()


def data_dir() -> Path:
    """``ERPSYNC_DATA_DIR``, else the user's data folder."""
    configured = os.environ.get("ERPSYNC_DATA_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "erpsync"


def connector_secret() -> bytes:
    """The secret shared by the hub and connector hosts: ``ERPSYNC_CONNECTOR_SECRET`` or a file in the
    data folder, so that a host and a checker started in the same environment agree."""
    return load_or_create_secret(data_dir() / "connector-secret", os.environ.get("ERPSYNC_CONNECTOR_SECRET"))


@app.command()
def version() -> None:
    """Print the version."""
    from erpsync import __version__

    console.print(__version__)


@connector_app.command("serve")
def connector_serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    connector: Annotated[
        list[str] | None, typer.Option("--connector", "-c", help="Serve only these connectors (repeatable).")
    ] = None,
) -> None:
    """Serve the registered connectors over HTTP at /connectors/<name>/<Operation>."""
    import uvicorn

    import erpsync.connectors  # noqa: F401 - registers the bundled connectors
    from erpsync.sdk import connector_classes
    from erpsync.sdk.host import ConnectorHost

    available = connector_classes()
    unknown = sorted(set(connector or []) - set(available))
    if unknown:
        known = ", ".join(sorted(available))
        console.print(f"[red]Unknown connector(s): {', '.join(unknown)}. Known: {known}")
        raise typer.Exit(2)
    chosen = [available[name] for name in (connector or sorted(available))]
    folder = data_dir()
    connector_host = ConnectorHost(folder, chosen, secrets=[connector_secret()])
    for cls in chosen:
        console.print(f"Serving connector [bold]{cls.name}[/] at http://{host}:{port}/connectors/{cls.name}")
    console.print(f"Data folder: {folder}  (requests must be signed with the secret in connector-secret)")
    uvicorn.run(connector_host.app, host=host, port=port, log_level="warning")


@connector_app.command("check")
def connector_check(
    url: Annotated[
        str, typer.Argument(help="The connector's base URL, e.g. http://127.0.0.1:8100/connectors/demo")
    ],
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help="Config value KEY=VALUE (repeatable); defaults fill the rest."),
    ] = None,
) -> None:
    """Run the conformance checks against a connector and print one row per check."""
    from erpsync.sdk.conformance import check_command

    if url.startswith("plugin://"):
        _install_bundled_plugins()
    code = check_command(url, list(config or []), connector_secret(), print)
    raise typer.Exit(code)


def _install_bundled_plugins() -> None:
    import erpsync.connectors  # noqa: F401
    from erpsync.sdk.host import ConnectorHost

    ConnectorHost(data_dir(), require_signature=False).install_plugins()


@demo_app.command("seed")
def demo_seed(
    actors: Annotated[int, typer.Option(min=0, help="How many actors to add.")] = 1000,
    database: Annotated[str, typer.Option(help="Database name (a file in <data>/demo-erp/).")] = "demo",
    password: Annotated[str, typer.Option(help="Password of the database's user.")] = "demo",  # noqa: S107
    user: Annotated[str, typer.Option(help="User name.")] = "admin",
) -> None:
    """Create (or add to) a demo ERP database with N realistic actors."""
    from erpsync.connectors.demo import database_path, seed_database

    try:
        path = database_path(data_dir(), database)
    except ValueError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    stats = seed_database(path, actors, password=password, user=user)
    console.print(f"Seeded {path}: {stats}")


def main() -> None:
    app()
