from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm import tokens, users

from .conftest import Login

pytestmark = pytest.mark.anyio


def _is_error(body: dict[str, object], error: str) -> bool:
    return set(body) == {"error", "detail", "errors"} and body["error"] == error


async def test_token_for_username_and_password(client: httpx.AsyncClient, user: Login) -> None:
    reply = await client.post("/api/v1/auth/token", json={"username": "kari", "password": "kari-password"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "kari"
    assert "password_hash" not in me.text


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "kari", "password": "wrong-password"},
        {"username": "nobody", "password": "kari-password"},
    ],
)
async def test_wrong_credentials_get_401(
    client: httpx.AsyncClient, user: Login, credentials: dict[str, str]
) -> None:
    reply = await client.post("/api/v1/auth/token", json=credentials)
    assert reply.status_code == 401
    assert _is_error(reply.json(), "Unauthorized")


async def test_a_deactivated_user_cannot_log_in(
    client: httpx.AsyncClient, user: Login, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        users.update_user(session, user.user_id, is_active=False)
    reply = await client.post("/api/v1/auth/token", json={"username": "kari", "password": "kari-password"})
    assert reply.status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=user.headers)).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic a2FyaTpwdw=="},
        {"Authorization": ""},
    ],
)
async def test_requests_without_a_valid_token_get_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    reply = await client.get("/api/v1/companies", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    assert _is_error(reply.json(), "Unauthorized")


async def test_expired_and_revoked_tokens_stop_working(
    client: httpx.AsyncClient, user: Login, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        expired = tokens.issue_token(session, user.user_id, timedelta(seconds=-1))
    reply = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired.token}"})
    assert reply.status_code == 401

    assert (await client.get("/api/v1/auth/me", headers=user.headers)).status_code == 200
    assert (await client.delete("/api/v1/auth/token", headers=user.headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=user.headers)).status_code == 401


async def test_token_request_is_validated(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/v1/auth/token", json={"username": "kari"})
    assert reply.status_code == 422
    body = reply.json()
    assert _is_error(body, "ValidationFailed")
    assert [each["field"] for each in body["errors"]] == ["password"]
