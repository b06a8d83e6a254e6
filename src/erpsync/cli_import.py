"""``erpsync import``: Import from ERP (reference §2.11) from the command line.

``erpsync import preview`` shows what an import would do, row by row; ``erpsync import run`` does
it, with a progress bar. Without ``--key`` every actor of the type is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from erpsync.crm.texts import _
from erpsync.engine.import_plan import DuplicateAction, ImportSettings, MatchField, RowAction

if TYPE_CHECKING:
    from erpsync.engine.importing import ImportSelection
    from erpsync.hub.service import Hub

__all__ = ["import_app"]

import_app = typer.Typer(help="Import actors from an ERP connection into the CRM.", no_args_is_help=True)
console = Console()

Connection = Annotated[int, typer.Option("--connection", "-c", help="The ERP connection's id.", min=1)]
ActorType = Annotated[str, typer.Option("--actor-type", "-t", help="ERP actor type, e.g. Customer.")]
Match = Annotated[MatchField, typer.Option(help="Duplicate match field ('none': no duplicate check).")]
Action = Annotated[
    DuplicateAction,
    typer.Option(help="For a duplicate: add a new record, merge (fill empty fields), replace, or skip."),
]
IdField = Annotated[str, typer.Option(help="With --match id: the ERP field holding the CRM record id.")]
Keys = Annotated[
    list[str] | None,
    typer.Option("--key", "-k", help="An ErpKey to import (repeatable); none: every actor of the type."),
]

_STYLES = {
    RowAction.new: "green",
    RowAction.update: "cyan",
    RowAction.no_change: "dim",
    RowAction.skip: "yellow",
    RowAction.error: "red",
}


@contextmanager
def _hub() -> Iterator[Hub]:
    """The hub as ``erpsync serve`` builds it, with the bundled connectors in-process (plugin://)."""
    import erpsync.connectors  # noqa: F401 - registers the bundled connectors
    from erpsync.crm.db import make_engine, make_session_factory
    from erpsync.hub.service import Hub
    from erpsync.sdk.host import ConnectorHost
    from erpsync.settings import Settings

    settings = Settings()
    ConnectorHost(settings.data_dir, require_signature=False).install_plugins()
    engine = make_engine(settings.database_url)
    hub = Hub.create(
        make_session_factory(engine),
        settings.data_dir,
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        settings.connector_secret.get_secret_value() if settings.connector_secret else None,
        allow_link_local=settings.allow_link_local_connectors,
    )
    try:
        yield hub
    finally:
        hub.close()
        engine.dispose()


@contextmanager
def _hub_errors() -> Iterator[None]:
    """A hub error as a red message: exit code 2 for bad input, 1 for a refusal or a failure."""
    from erpsync.hub.errors import HubError, InvalidInput, NotFound, Refused

    try:
        yield
    except HubError as exc:
        console.print(f"[red]{exc.message}")
        if isinstance(exc, Refused):
            for reason in exc.reasons:
                console.print(f"[red]  {reason}")
        if isinstance(exc, InvalidInput):
            for key, text in exc.errors.items():
                console.print(f"[red]  {key}: {text}")
        raise typer.Exit(2 if isinstance(exc, InvalidInput | NotFound) else 1) from None


def _selection(connection: int, actor_type: str, keys: list[str] | None) -> ImportSelection:
    from erpsync.engine.importing import ImportSelection

    return ImportSelection(connection, actor_type, erp_keys=tuple(keys or ()), all_actors=not keys)


@import_app.command("preview")
def preview(
    connection: Connection,
    actor_type: ActorType,
    match: Match = MatchField.name,
    action: Action = DuplicateAction.merge,
    id_field: IdField = "",
    key: Keys = None,
    limit: Annotated[int, typer.Option(min=1, help="The most rows to show.")] = 100,
) -> None:
    """Show what importing the actors would do. Writes nothing."""
    from erpsync.engine.importing import preview_import

    with _hub() as hub, _hub_errors():
        plan = preview_import(
            hub, _selection(connection, actor_type, key), ImportSettings(match, action, id_field), limit
        )
    table = Table(title=_("Import %(type)s from connection %(id)s", type=actor_type, id=connection))
    for column in ("ErpKey", _("Name"), _("Action"), _("CRM id"), _("Changes / reason")):
        table.add_column(column)
    for row in plan.rows:
        changes = "; ".join(f"{c.label}: {c.old_value!r} → {c.new_value!r}" for c in row.changes)
        detail = row.reason or changes
        if row.warnings:
            detail += "".join(f"\n[yellow]! {p.message}[/]" for p in row.warnings)
        style = _STYLES[row.action]
        record = "" if row.crm_record_id is None else str(row.crm_record_id)
        table.add_row(row.erp_key, row.display_name, f"[{style}]{row.action.value}[/]", record, detail)
    console.print(table)
    if plan.more:
        console.print(_("(the first %(count)s rows shown)", count=len(plan.rows)))
    console.print(", ".join(f"{action.value} {count}" for action, count in plan.counts.items()))


@import_app.command("run")
def run(
    connection: Connection,
    actor_type: ActorType,
    match: Match = MatchField.name,
    action: Action = DuplicateAction.merge,
    id_field: IdField = "",
    key: Keys = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Import the actors: create or update CRM records and link them (automatic sync must be off)."""
    from erpsync.engine.importing import ImportProgress, apply_import

    if key:
        question = _(
            "Import %(count)s %(type)s actor(s) from connection %(id)s?",
            count=len(key),
            type=actor_type,
            id=connection,
        )
    else:
        question = _("Import every %(type)s actor from connection %(id)s?", type=actor_type, id=connection)
    if not yes and not typer.confirm(question):
        raise typer.Exit(1)
    columns = (TextColumn(_("Importing")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with _hub() as hub, _hub_errors(), Progress(*columns, console=console) as bar:
        task = bar.add_task("import", total=len(key) if key else None)

        def advance(step: ImportProgress) -> None:
            bar.update(task, completed=step.done, total=step.total)

        result = apply_import(
            hub,
            _selection(connection, actor_type, key),
            ImportSettings(match, action, id_field),
            progress=advance,
        )
    console.print(
        _(
            "Created %(created)s, updated %(updated)s, linked unchanged %(unchanged)s, skipped %(skipped)s, "
            "errors %(errors)s, fields left out %(warnings)s.",
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
            skipped=len(result.skipped),
            errors=len(result.errors),
            warnings=result.warnings,
        )
    )
    for erp_key, reason in list(result.errors.items())[:20]:
        console.print(f"[red]{erp_key}: {reason}")
    if result.stopped:
        console.print("[red]" + _("Stopped before the end: %(reason)s", reason=result.stopped))
        raise typer.Exit(1)
