"""The engine's commands: ``erpsync worker``, ``erpsync sync run`` and ``erpsync engine …``, and the
runtime that ``erpsync serve`` runs in-process."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from erpsync.crm.texts import _, shown

if TYPE_CHECKING:
    from erpsync.engine.runtime import CycleOutcome, Runtime
    from erpsync.hub.service import Hub
    from erpsync.settings import Settings

__all__ = ["embedded_runtime", "engine_app", "open_hub", "sync_app", "worker"]

sync_app = typer.Typer(help="Run sync cycles now.", no_args_is_help=True)
engine_app = typer.Typer(
    help="The sync engine: automatic sync On/Off, interval, status.", no_args_is_help=True
)

console = Console()


def _settings() -> Settings:
    from erpsync.settings import Settings

    return Settings()


@contextmanager
def open_hub(config: Settings, plugins: bool = True) -> Iterator[Hub]:
    """The hub on the configured database; ``plugins``: serve the bundled connectors in this process
    as plugin:// (a process that already does leaves it off)."""
    from erpsync.crm.db import make_engine, make_session_factory
    from erpsync.hub.service import Hub

    if plugins:
        import erpsync.connectors  # noqa: F401 - registers the bundled connectors
        from erpsync.sdk.host import ConnectorHost

        ConnectorHost(config.data_dir, require_signature=False).install_plugins()
    engine = make_engine(config.database_url)
    hub = Hub.create(
        make_session_factory(engine),
        config.data_dir,
        config.secret_key.get_secret_value() if config.secret_key else None,
        config.connector_secret.get_secret_value() if config.connector_secret else None,
        allow_link_local=config.allow_link_local_connectors,
    )
    try:
        yield hub
    finally:
        hub.close()
        engine.dispose()


@contextmanager
def embedded_runtime(
    config: Settings, worker: str = "", listen: bool = True, schedule: bool = True, plugins: bool = True
) -> Iterator[Runtime]:
    """A started runtime with a hub of its own (so that the web app closing its hub at shutdown does
    not cut off the cycles that are draining); stopped on exit. ``listen=False``: only enqueue."""
    from erpsync.engine.runtime import Runtime, system_database_url

    with open_hub(config, plugins) as hub:
        runtime = Runtime(
            hub,
            system_database_url(config.database_url, config.data_dir),
            worker or f"serve-{socket.gethostname()}",
            listen=listen,
            schedule=schedule,
        )
        runtime.start()
        try:
            yield runtime
        finally:
            runtime.stop()


def worker(
    worker_id: Annotated[
        str,
        typer.Option("--id", help="The worker's stable name (its DBOS executor id); default: the host name."),
    ] = "",
    heartbeat: Annotated[float, typer.Option(min=0.1, help="Seconds between heartbeats.")] = 5.0,
    dead_after: Annotated[
        float, typer.Option(min=0.3, help="Seconds without heartbeat after which a worker is taken for dead.")
    ] = 15.0,
    polling_interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between looks at the queue.")
    ] = 0.5,
    schedule: Annotated[bool, typer.Option(help="Take part in starting the automatic sync.")] = True,
    drain: Annotated[int, typer.Option(min=0, help="Seconds running cycles get to finish on stop.")] = 30,
) -> None:
    """Run sync cycles from the queue until SIGTERM or Ctrl-C (ERPSYNC_DATABASE_URL must be migrated:
    erpsync db upgrade)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    name = worker_id or socket.gethostname()
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from erpsync.engine.runtime import Runtime, system_database_url

    config = _settings()
    with open_hub(config) as hub:
        runtime = Runtime(
            hub,
            system_database_url(config.database_url, config.data_dir),
            name,
            schedule=schedule,
            heartbeat_seconds=heartbeat,
            dead_after=dead_after,
            polling_interval=polling_interval,
        )
        runtime.start()
        console.print(_("Worker [bold]%(name)s[/] is running (Ctrl-C or SIGTERM to stop).", name=name))
        try:
            stop.wait()
        finally:
            console.print(_("Worker [bold]%(name)s[/] is stopping.", name=name))
            runtime.stop(drain_seconds=drain)


@sync_app.command("run")
def sync_run(
    connection: Annotated[
        list[int] | None, typer.Option("--connection", "-c", help="Only this connection (repeatable).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Sync all active connections even when automatic sync is Off.")
    ] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the cycles.")] = 600,
) -> None:
    """Sync now: enqueue cycles, run them here (and on any running workers), wait, show the results."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    config = _settings()
    with embedded_runtime(config, f"cli-{os.getpid()}", schedule=False) as runtime:
        if connection:
            handles = [runtime.submit(each, "force" if force else "sync") for each in connection]
        else:
            handles = runtime.sync_all(force=force)
            if not handles:
                if runtime.status().is_running:
                    console.print(_("There is no active connection to sync."))
                    return
                console.print("[yellow]" + _("Automatic sync is Off: use --force to sync anyway."))
                raise typer.Exit(2)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(_("Syncing"), total=len(handles))
            outcomes = runtime.wait(handles, timeout, on_done=lambda _: progress.advance(task))
        names = _connection_names(runtime.hub)
    _print_outcomes(outcomes, names)
    if any(o.state not in ("ok", "skipped") for o in outcomes):
        raise typer.Exit(1)


def _connection_names(hub: Hub) -> dict[int, str]:
    from sqlalchemy import select

    from erpsync.hub.models import ErpConnection

    with hub.sessions() as session:
        rows = session.execute(select(ErpConnection.id, ErpConnection.display_name))
        return {connection_id: name for connection_id, name in rows}


def _print_outcomes(outcomes: list[CycleOutcome], names: dict[int, str]) -> None:
    table = Table(_("Connection"), _("State"), _("Pulled"), _("Pushed"), _("Failed"), _("Message"))
    colours = {"ok": "green", "skipped": "dim", "failed": "red", "error": "red"}
    for o in outcomes:
        state = f"[{colours.get(o.state, 'yellow')}]{o.state}[/]"
        name = f"{names.get(o.connection_id, '?')} ({o.connection_id})"
        table.add_row(name, state, str(o.pulled), str(o.pushed), str(o.failed), shown(o.message))
    console.print(table)


@engine_app.command("on")
def engine_on() -> None:
    """Switch automatic sync On."""
    from erpsync.hub.engine_settings import change_engine_status

    with open_hub(_settings(), plugins=False) as hub:
        status = change_engine_status(hub, True)
    console.print(_("Automatic sync is [bold]on[/] (every %(interval)s).", interval=status.interval))


@engine_app.command("off")
def engine_off() -> None:
    """Switch automatic sync Off (running cycles finish)."""
    from erpsync.hub.engine_settings import change_engine_status

    with open_hub(_settings(), plugins=False) as hub:
        change_engine_status(hub, False)
    console.print(_("Automatic sync is [bold]off[/]."))


@engine_app.command("interval")
def engine_interval(
    seconds: Annotated[int, typer.Argument(help="Seconds between sync rounds (60 to a year).")],
) -> None:
    """Set the time between automatic sync rounds."""
    from erpsync.hub.engine_settings import MAX_INTERVAL, MIN_INTERVAL, change_engine_interval

    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        console.print(
            "[red]"
            + _(
                "The interval must be between %(min)s and %(max)s seconds.",
                min=MIN_INTERVAL,
                max=MAX_INTERVAL,
            )
        )
        raise typer.Exit(2)
    with open_hub(_settings(), plugins=False) as hub:
        status = change_engine_interval(hub, seconds)
    console.print(_("Automatic sync runs every %(interval)s.", interval=status.interval))


@engine_app.command("status")
def engine_status(
    dead_after: Annotated[
        float, typer.Option(min=0.3, help="Seconds without heartbeat after which a worker counts as gone.")
    ] = 15.0,
) -> None:
    """Show On/Off, the interval, the workers, the cycles queued and running, the last failures."""
    from erpsync.engine.operations import engine_overview
    from erpsync.engine.runtime import queue_counts, runtime_note, system_database_url, workers

    config = _settings()
    counts = queue_counts(system_database_url(config.database_url, config.data_dir))
    queued, running = counts if counts is not None else (None, None)
    with open_hub(config, plugins=False) as hub:
        seen = workers(hub, dead_after)
        status = engine_overview(hub, runtime_note(seen, queued, running))
    console.print(status.status_message)
    if seen:
        table = Table(_("Worker"), _("Started"), _("Last heartbeat"), _("State"))
        for w in seen:
            if w.alive:
                state = _("alive")
            elif w.recovered_by:
                state = _("gone (recovered by %(worker)s)", worker=w.recovered_by)
            else:
                state = _("gone")
            table.add_row(
                w.name, f"{w.started_at:%Y-%m-%d %H:%M:%S}", f"{w.heartbeat_at:%Y-%m-%d %H:%M:%S}", state
            )
        console.print(table)
