from __future__ import annotations

import httpx
import pytest

from .conftest import Login

pytestmark = pytest.mark.anyio


async def test_admin_manages_users(client: httpx.AsyncClient, admin: Login) -> None:
    created = await client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={
            "username": "ola",
            "password": "ola-password",
            "display_name": "Ola Nordmann",
            "language": "nb-NO",
        },
    )
    assert created.status_code == 201
    ola = created.json()
    assert ola == {
        "id": ola["id"],
        "username": "ola",
        "display_name": "Ola Nordmann",
        "is_admin": False,
        "is_active": True,
        "language": "nb-NO",
    }
    listing = await client.get("/api/v1/users", headers=admin.headers)
    assert listing.json()["total"] == 2
    assert [each["username"] for each in listing.json()["items"]] == ["admin", "ola"]
    for reply in (created, listing, await client.get(f"/api/v1/users/{ola['id']}", headers=admin.headers)):
        assert "password" not in reply.text
        assert "argon2" not in reply.text

    duplicate = await client.post(
        "/api/v1/users", headers=admin.headers, json={"username": "ola", "password": "another-password"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"] == [{"field": "username", "message": "the user name 'ola' is taken"}]
    short = await client.post(
        "/api/v1/users", headers=admin.headers, json={"username": "per", "password": "x"}
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "password"

    login = await client.post("/api/v1/auth/token", json={"username": "ola", "password": "ola-password"})
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=token)).status_code == 200
    changed = await client.patch(
        f"/api/v1/users/{ola['id']}",
        headers=admin.headers,
        json={"password": "new-password", "is_admin": True},
    )
    assert changed.status_code == 200
    assert changed.json()["is_admin"] is True
    # A new password logs the user out everywhere.
    assert (await client.get("/api/v1/auth/me", headers=token)).status_code == 401
    relogin = await client.post("/api/v1/auth/token", json={"username": "ola", "password": "new-password"})
    assert relogin.status_code == 200

    assert (await client.get("/api/v1/users/999", headers=admin.headers)).status_code == 404


async def test_admins_cannot_lock_themselves_out(client: httpx.AsyncClient, admin: Login) -> None:
    for change in ({"is_admin": False}, {"is_active": False}):
        reply = await client.patch(f"/api/v1/users/{admin.user_id}", headers=admin.headers, json=change)
        assert reply.status_code == 409
        assert reply.json()["error"] == "Conflict"


async def test_users_and_groups_are_for_administrators(client: httpx.AsyncClient, user: Login) -> None:
    for method, path in [
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("GET", f"/api/v1/users/{user.user_id}"),
        ("GET", "/api/v1/groups"),
        ("POST", "/api/v1/groups"),
        ("PUT", f"/api/v1/groups/1/members/{user.user_id}"),
    ]:
        reply = await client.request(method, path, headers=user.headers, json={"name": "x"})
        assert reply.status_code in (403, 422), (method, path)
        if reply.status_code == 403:
            assert reply.json()["error"] == "Forbidden"
    assert (await client.get("/api/v1/users", headers=user.headers)).status_code == 403


async def test_groups_and_members(client: httpx.AsyncClient, admin: Login, user: Login) -> None:
    created = await client.post(
        "/api/v1/groups", headers=admin.headers, json={"name": "Sales", "description": "The sales team"}
    )
    assert created.status_code == 201
    group = created.json()
    assert group["member_ids"] == []
    path = f"/api/v1/groups/{group['id']}"
    assert (await client.put(f"{path}/members/{user.user_id}", headers=admin.headers)).status_code == 204
    assert (await client.put(f"{path}/members/{admin.user_id}", headers=admin.headers)).status_code == 204
    assert (await client.put(f"{path}/members/9999", headers=admin.headers)).status_code == 404
    fetched = await client.get(path, headers=admin.headers)
    assert sorted(fetched.json()["member_ids"]) == sorted([user.user_id, admin.user_id])
    assert (await client.delete(f"{path}/members/{admin.user_id}", headers=admin.headers)).status_code == 204

    renamed = await client.patch(
        path, headers=admin.headers, json={"name": "Sales Nordic", "description": None}
    )
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Sales Nordic", None)
    assert renamed.json()["member_ids"] == [user.user_id]
    duplicate = await client.post("/api/v1/groups", headers=admin.headers, json={"name": "sales nordic"})
    assert duplicate.status_code == 409

    listing = await client.get("/api/v1/groups", headers=admin.headers)
    assert [each["name"] for each in listing.json()] == ["Sales Nordic"]
    assert (await client.delete(path, headers=admin.headers)).status_code == 204
    assert (await client.get(path, headers=admin.headers)).status_code == 404
