from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from erpsync.api import create_app
from erpsync.crm import tokens, users
from erpsync.crm.seed import ensure_standard_lists
from erpsync.settings import Settings
from tests.hub.fixtures_admin import CONNECTOR_SECRET, DemoErp, demo_erp


@dataclass(frozen=True)
class Login:
    user_id: int
    headers: dict[str, str]


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing: None) -> None:
    pass


@pytest.fixture
def app(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    try:
        yield app
    finally:
        app.state.engine.dispose()


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[DemoErp]:
    """The demo ERP connector served over HTTP."""
    with demo_erp(tmp_path / "erp-host") as served:
        yield served


@pytest.fixture
def hub_app(
    engine: Engine, database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> Iterator[FastAPI]:
    """The app with the standard lists, signing its connector calls as ``erp`` expects."""
    with session_factory() as session, session.begin():
        ensure_standard_lists(session)
    settings = Settings(
        database_url=database_url, data_dir=tmp_path / "hub", connector_secret=SecretStr(CONNECTOR_SECRET)
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        app.state.hub.close()
        app.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _login(session_factory: sessionmaker[Session], username: str, is_admin: bool) -> Login:
    with session_factory() as session, session.begin():
        user = users.create_user(session, username, f"{username}-password", is_admin=is_admin)
        issued = tokens.issue_token(session, user.id, timedelta(hours=1))
    return Login(user.id, {"Authorization": f"Bearer {issued.token}"})


@pytest.fixture
def admin(session_factory: sessionmaker[Session]) -> Login:
    return _login(session_factory, "admin", is_admin=True)


@pytest.fixture
def user(session_factory: sessionmaker[Session]) -> Login:
    return _login(session_factory, "kari", is_admin=False)
