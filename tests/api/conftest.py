from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from erpsync.api import create_app
from erpsync.crm import tokens, users
from erpsync.settings import Settings


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
