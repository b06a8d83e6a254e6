"""The ``erpsync`` command.

It speaks the language of its environment (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``da_DK.UTF-8`` →
Danish), English when that is none erpsync speaks. What it says to people is translated; the help
texts of commands and options stay English, like the command names themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from erpsync import i18n
from erpsync.cli_engine import embedded_runtime, engine_app, sync_app, worker
from erpsync.cli_import import import_app
from erpsync.crm.texts import _
from erpsync.protocol.signing import load_or_create_secret

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from erpsync.crm.errors import CrmValidationError
    from erpsync.settings import Settings

app = typer.Typer(help="erpsync — an open-source ERP Sync server.", no_args_is_help=True)
connector_app = typer.Typer(help="Serve and check sync connectors.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo ERP: a sandbox ERP with its own database.", no_args_is_help=True)
app.add_typer(connector_app, name="connector")
app.add_typer(demo_app, name="demo-erp")
db_app = typer.Typer(help="The database: migrations and sample data.", no_args_is_help=True)
users_app = typer.Typer(help="Users of erpsync (CRM users and administrators).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(import_app, name="import")
app.add_typer(sync_app, name="sync")
app.add_typer(engine_app, name="engine")
app.command()(worker)

console = Console()


def environment_language() -> str:
    """The language of the environment's locale, the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set, as POSIX reads them; English when it names none erpsync speaks."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return i18n.supported_language(value.split(".")[0]) or i18n.DEFAULT_LANGUAGE
    return i18n.DEFAULT_LANGUAGE


@app.callback()
def in_the_environments_language(context: typer.Context) -> None:
    """erpsync — an open-source ERP Sync server."""
    # For the command's run only (a resource of the root context, released when it ends).
    context.with_resource(i18n.use_language(environment_language()))


def data_dir() -> Path:
    """``ERPSYNC_DATA_DIR``, else the user's data folder (see ``erpsync.settings``)."""
    return settings().data_dir


def settings() -> Settings:
    from erpsync.settings import Settings

    return Settings()


def connector_secret() -> bytes:
    """The secret shared by the hub and connector hosts: ``ERPSYNC_CONNECTOR_SECRET`` or a file in the
    data folder, so that a host and a checker started in the same environment agree."""
    return load_or_create_secret(data_dir() / "connector-secret", os.environ.get("ERPSYNC_CONNECTOR_SECRET"))


@app.command()
def version() -> None:
    """Print the version."""
    from erpsync import __version__

    console.print(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Set up the demo ERP on a new data folder.")] = True,
    run_worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run sync cycles here too, or leave them to workers.")
    ] = True,
    worker_id: Annotated[str, typer.Option(help="This process's worker name; default serve-<host>.")] = "",
) -> None:
    """Run erpsync: the API and the sync worker in one process (SQLite by default)."""
    import uvicorn

    import erpsync.connectors  # noqa: F401 - registers the bundled connectors
    from erpsync.api.app import create_app
    from erpsync.database import prepare_database
    from erpsync.demo_setup import ensure_admin, ensure_demo
    from erpsync.sdk.host import ConnectorHost

    config = settings()
    prepare_database(config.database_url)
    # The bundled connectors run in this process as plugin://<name>.
    ConnectorHost(config.data_dir, require_signature=False).install_plugins()
    api = create_app(config)
    hub = api.state.hub
    login = ensure_admin(hub, config.data_dir)
    if demo and ensure_demo(hub):
        console.print(_("Set up the demo: sample CRM data and the active ERP connection [bold]Demo ERP[/]."))
    console.print(
        _(
            "erpsync is running on [bold]%(url)s[/]  (web UI; API: /api/v1, docs: /docs)",
            url=f"http://{host}:{port}",
        )
    )
    password = login.password or _("(unknown here: erpsync users set-password admin)")
    console.print(
        _(
            "Administrator login: [bold]%(user)s[/] / [bold]%(password)s[/]",
            user=login.username,
            password=password,
        )
    )
    with embedded_runtime(config, worker_id, listen=run_worker, plugins=False) as runtime:
        api.state.runtime = runtime
        uvicorn.run(api, host=host, port=port, log_level="warning")


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
        console.print(
            "[red]"
            + _(
                "Unknown connector(s): %(unknown)s. Known: %(known)s", unknown=", ".join(unknown), known=known
            )
        )
        raise typer.Exit(2)
    chosen = [available[name] for name in (connector or sorted(available))]
    folder = data_dir()
    connector_host = ConnectorHost(folder, chosen, secrets=[connector_secret()])
    for cls in chosen:
        console.print(
            _(
                "Serving connector [bold]%(name)s[/] at %(url)s",
                name=cls.name,
                url=f"http://{host}:{port}/connectors/{cls.name}",
            )
        )
    console.print(
        _(
            "Data folder: %(folder)s  (requests must be signed with the secret in connector-secret)",
            folder=folder,
        )
    )
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
    except ValueError:
        problem = _(
            "%(name)r is not a valid demo database name: use letters, digits, '_' and '-' (at most 64)",
            name=database,
        )
        console.print("[red]" + problem)
        raise typer.Exit(2) from None
    stats = seed_database(path, actors, password=password, user=user)
    console.print(_("Seeded %(path)s: %(stats)s", path=path, stats=stats))


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Migrate to this revision.")] = "head",
) -> None:
    """Create or migrate the database (ERPSYNC_DATABASE_URL, else SQLite in the data folder) and
    fill the standard CRM lists where they are empty."""
    from erpsync import database

    url = settings().database_url
    if revision == "head":
        database.prepare_database(url)
    else:
        database.upgrade(url, revision)
    console.print(
        _(
            "Database at revision %(revision)s: %(url)s",
            revision=database.current_revision(url),
            url=_safe_url(url),
        )
    )


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one."""
    from erpsync import database

    url = settings().database_url
    console.print(
        _(
            "current: %(current)s  head: %(head)s",
            current=database.current_revision(url),
            head=database.head_revision(),
        )
    )


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
    autogenerate: Annotated[bool, typer.Option(help="Compare the models with the database.")] = True,
) -> None:
    """Write a new migration script (for developers; the database must be at head)."""
    from alembic import command

    from erpsync import database

    command.revision(
        database.alembic_config(settings().database_url), message=message, autogenerate=autogenerate
    )


@db_app.command("seed")
def db_seed(
    companies: Annotated[int, typer.Option(min=1, max=100_000, help="How many companies to add.")] = 36,
) -> None:
    """Add sample companies with persons, and projects, to the CRM."""
    from erpsync.crm.seed import seed_sample_data

    with _session() as session, session.begin():
        summary = seed_sample_data(session, companies=companies)
    console.print(
        _(
            "Added %(companies)s companies, %(persons)s persons and %(projects)s projects.",
            companies=summary.companies,
            persons=summary.persons,
            projects=summary.projects,
        )
    )


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The user name to log in with.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    password: Annotated[
        str | None, typer.Option(help="The password; asked for (hidden) when not given.")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="The name shown for the user.")] = None,
) -> None:
    """Create a user."""
    from erpsync.crm import users
    from erpsync.crm.errors import CrmValidationError

    if password is None:
        password = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    try:
        with _session() as session, session.begin():
            user = users.create_user(session, username, password, display_name=display_name, is_admin=admin)
    except CrmValidationError as error:
        _print_refusal(error)
        raise typer.Exit(2) from None
    if user.is_admin:
        console.print(
            _("Created administrator [bold]%(name)s[/] (id %(id)s).", name=user.username, id=user.id)
        )
    else:
        console.print(_("Created user [bold]%(name)s[/] (id %(id)s).", name=user.username, id=user.id))


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password: Annotated[
        str | None, typer.Option(help="The new password; asked for (hidden) when not given.")
    ] = None,
) -> None:
    """Set a user's password and revoke the user's API tokens."""
    from erpsync.crm import tokens, users
    from erpsync.crm.errors import CrmValidationError

    if password is None:
        password = typer.prompt(_("New password"), hide_input=True, confirmation_prompt=True)
    try:
        with _session() as session, session.begin():
            user = users.get_user_by_username(session, username)
            if user is None:
                console.print("[red]" + _("There is no user %(name)r.", name=username))
                raise typer.Exit(2)
            users.set_password(session, user.id, password)
            tokens.revoke_user_tokens(session, user.id)
    except CrmValidationError as error:
        _print_refusal(error)
        raise typer.Exit(2) from None
    console.print(_("Password of [bold]%(name)s[/] set.", name=username))


@users_app.command("list")
def users_list() -> None:
    """List the users."""
    from erpsync.crm import users

    with _session() as session:
        found, total = users.list_users(session, limit=10_000)
    for user in found:
        role = _("admin") if user.is_admin else _("user")
        state = " " + _("(inactive)") if not user.is_active else ""
        console.print(f"{user.id:>5}  {user.username:<30} {role:<6} {user.display_name}{state}")
    console.print(_("%(count)s user(s)", count=total))


@contextmanager
def _session() -> Iterator[Session]:
    from erpsync.crm.db import make_engine, make_session_factory

    engine = make_engine(settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _print_refusal(error: CrmValidationError) -> None:
    for key, text in error.errors.items():
        console.print(f"[red]{key}: {text}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()
