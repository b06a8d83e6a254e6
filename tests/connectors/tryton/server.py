"""A real trytond for the tests: a database built once into a cached template, served per session.

:func:`template_database` creates the SQLite database with ``trytond-admin`` (about 15 s) and seeds
what a production set-up would have (a company, the role categories, the contact relation type,
a few countries), then keeps the file under ``var/tryton/<key>/`` where ``key`` names the installed
Tryton versions and this module's seed version; later sessions copy it. :func:`derived_database`
keeps more databases there the same way, each the template plus what a function adds through
trytond (the benchmark's 10,000 customers). :func:`serve` starts ``trytond`` on a free loopback
port over a copy and stops it at the end.

trytond lives in its own virtual environment, ``.venv-tryton`` (``make tryton-env``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "ADMIN_PASSWORD",
    "COMPANY",
    "MODULES",
    "TrytonServer",
    "TrytonUnavailableForTests",
    "derived_database",
    "serve",
    "template_database",
    "tryton_venv",
]

ROOT = Path(__file__).resolve().parents[3]
ADMIN_PASSWORD = "Tryton-Adm1n-Pa55word"
COMPANY = "Erpsync Test Company"
DATABASE = "erp"
#: Every module to activate, dependencies included (trytond-admin does not add them itself).
MODULES = (
    "ir", "res", "country", "currency", "party", "party_relationship", "company", "product", "account",
    "account_product", "account_invoice", "company_work_time", "timesheet", "project",
)  # fmt: skip
#: Bump when the seed below changes, so that cached templates are rebuilt.
SEED_VERSION = "1"


class TrytonUnavailableForTests(RuntimeError):
    pass


def tryton_venv() -> Path:
    """The virtual environment with trytond; a clear error when it has not been made."""
    venv = Path(os.environ.get("ERPSYNC_TRYTON_VENV", ROOT / ".venv-tryton"))
    if not (venv / "bin" / "trytond").exists():
        raise TrytonUnavailableForTests(
            f"trytond is not installed in {venv}: run `make tryton-env` (it installs the pinned Tryton "
            "server and modules from tests/connectors/tryton/requirements.txt into .venv-tryton)."
        )
    return venv


def _versions(venv: Path) -> str:
    installed = sorted(p.name for p in venv.glob("lib/python*/site-packages/trytond*.dist-info"))
    return hashlib.sha256("\n".join([SEED_VERSION, *installed]).encode()).hexdigest()[:16]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_config(folder: Path, port: int) -> Path:
    config = folder / "trytond.conf"
    config.write_text(
        f"[database]\nuri = sqlite://\npath = {folder}\n"
        f"[web]\nlisten = 127.0.0.1:{port}\n"
        "[session]\nmax_attempt = 1000\n"
    )
    return config


def _environment() -> dict[str, str]:
    # trytond's SQLite backend stamps write dates with the local time: run it in UTC.
    return {**os.environ, "TZ": "UTC", "PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class TrytonServer:
    """A running trytond: ``url`` (no database part), its database, and the admin login."""

    url: str
    database: str
    user: str = "admin"
    password: str = ADMIN_PASSWORD

    def config(self, **overrides: str) -> dict[str, str]:
        """Connector config values for this server."""
        return {
            "ServerUrl": self.url,
            "Database": self.database,
            "Username": self.user,
            "Password": self.password,
            "Company": COMPANY,
            **overrides,
        }

    def rpc(self) -> Rpc:
        return Rpc(self)


class Rpc:
    """A bare JSON-RPC client for tests that play a Tryton user (edits made in the ERP)."""

    def __init__(self, server: TrytonServer) -> None:
        self._client = httpx.Client(base_url=f"{server.url}/{server.database}/rpc/", timeout=120)
        login = [server.user, {"password": server.password}]
        reply = self._client.post("", json={"id": 0, "method": "common.db.login", "params": login})
        reply.raise_for_status()
        user_id, key = reply.json()["result"][:2]
        token = base64.b64encode(f"{server.user}:{user_id}:{key}".encode()).decode()
        self._client.headers["Authorization"] = f"Session {token}"
        self.context: dict[str, Any] = {}

    def __call__(self, method: str, *params: Any) -> Any:
        reply = self._client.post("", json={"id": 1, "method": method, "params": list(params)})
        reply.raise_for_status()
        body = reply.json()
        if body.get("error"):
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    def model(self, model: str, method: str, *params: Any) -> Any:
        return self(f"model.{model}.{method}", *params)

    def close(self) -> None:
        self._client.close()


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TrytonUnavailableForTests(f"trytond stopped at start:\n{log.read_text()[-3000:]}")
        try:
            httpx.post(f"{url}/", json={}, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TrytonUnavailableForTests(f"trytond did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def _running(venv: Path, folder: Path) -> Iterator[TrytonServer]:
    port = _free_port()
    config = _write_config(folder, port)
    log = folder / "trytond.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "trytond"), "-c", str(config), "-d", DATABASE],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_environment(),
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url, process, log)
        yield TrytonServer(url, DATABASE)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _seed(server: TrytonServer) -> None:
    """What a production Tryton would have before the connector is pointed at it."""
    rpc = server.rpc()
    try:
        m = rpc.model
        [currency] = m("currency.currency", "create", [{"name": "Euro", "code": "EUR", "symbol": "€"}], {})
        [party] = m("party.party", "create", [{"name": COMPANY, "addresses": []}], {})
        [company] = m("company.company", "create", [{"party": party, "currency": currency}], {})
        m("res.user", "write", [1], {"companies": [("add", [company])], "company": company}, {})
        names = ["Customer", "Supplier", "Retail", "Wholesale", "Key account"]
        m("party.category", "create", [{"name": n} for n in names], {})
        [employee, employer] = m(
            "party.relation.type", "create", [{"name": "Employee of"}, {"name": "Employer of"}], {}
        )
        m(
            "party.relation.type",
            "write",
            [employee],
            {"reverse": employer},
            [employer],
            {"reverse": employee},
            {},
        )
        countries = [("NO", "Norway"), ("SE", "Sweden"), ("DK", "Denmark"), ("DE", "Germany"),
                     ("GB", "United Kingdom"), ("US", "United States")]  # fmt: skip
        m("country.country", "create", [{"code": c, "name": n} for c, n in countries], {})
    finally:
        rpc.close()


def _cache_folder(venv: Path) -> Path:
    folder = ROOT / "var" / "tryton" / _versions(venv)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fold_and_move(work: Path, target: Path) -> None:
    # trytond keeps SQLite in WAL mode: fold the log into the file before it is moved.
    with closing(sqlite3.connect(work / f"{DATABASE}.sqlite")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(work / f"{DATABASE}.sqlite", target)  # atomic: a half-built file is never seen


def template_database() -> Path:
    """The seeded template database file, built on first use and cached per Tryton versions."""
    venv = tryton_venv()
    folder = _cache_folder(venv)
    template = folder / f"{DATABASE}.sqlite"
    if template.exists():
        return template
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = Path(tmp)
        (work / f"{DATABASE}.sqlite").touch()
        password = work / "admin-password"
        password.write_text(ADMIN_PASSWORD)
        config = _write_config(work, _free_port())
        subprocess.run(
            [str(venv / "bin" / "trytond-admin"), "-c", str(config), "-d", DATABASE, "--all",
             "-u", *MODULES, "--email", "admin@example.com"],
            check=True, capture_output=True, env={**_environment(), "TRYTONPASSFILE": str(password)},
        )  # fmt: skip
        with _running(venv, work) as server:
            _seed(server)
        _fold_and_move(work, template)
    return template


def derived_database(name: str, add: Callable[[TrytonServer], None]) -> tuple[Path, bool]:
    """The template plus what ``add`` creates through a running trytond, cached beside the template
    as ``<name>.sqlite``; ``name`` must change whenever ``add`` does. Returns the file and whether
    it was built now (False: reused)."""
    template = template_database()
    target = template.parent / f"{name}.sqlite"
    if target.exists():
        return target, False
    with tempfile.TemporaryDirectory(dir=template.parent) as tmp:
        work = Path(tmp)
        shutil.copy(template, work / f"{DATABASE}.sqlite")
        with _running(tryton_venv(), work) as server:
            add(server)
        _fold_and_move(work, target)
    return target, True


@contextmanager
def serve(folder: Path, database: Path | None = None) -> Iterator[TrytonServer]:
    """trytond on a copy of ``database`` (the template when None) in ``folder``."""
    source = database or template_database()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / f"{DATABASE}.sqlite")
    with _running(tryton_venv(), folder) as server:
        yield server
