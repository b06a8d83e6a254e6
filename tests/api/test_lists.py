from __future__ import annotations

import httpx
import pytest

from .conftest import Login

pytestmark = pytest.mark.anyio


async def test_everyone_reads_lists(client: httpx.AsyncClient, user: Login) -> None:
    reply = await client.get("/api/v1/lists", headers=user.headers)
    assert reply.status_code == 200
    assert {each["name"] for each in reply.json()} == {
        "country",
        "category",
        "business",
        "project_status",
        "project_type",
    }
    items = await client.get("/api/v1/lists/country/items", headers=user.headers)
    assert items.status_code == 200
    assert items.json() == []
    unknown = await client.get("/api/v1/lists/colours/items", headers=user.headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "list_name"


async def test_admin_edits_items(client: httpx.AsyncClient, admin: Login) -> None:
    added = await client.post(
        "/api/v1/lists/category/items", headers=admin.headers, json={"name": "Customer"}
    )
    assert added.status_code == 201
    item = added.json()
    assert item == {"id": item["id"], "list": "category", "name": "Customer", "rank": 0, "deleted": False}
    await client.post("/api/v1/lists/category/items", headers=admin.headers, json={"name": "Prospect"})
    duplicate = await client.post(
        "/api/v1/lists/category/items", headers=admin.headers, json={"name": "customer"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "name"

    renamed = await client.patch(
        f"/api/v1/lists/category/items/{item['id']}",
        headers=admin.headers,
        json={"name": "Client", "rank": 9},
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["rank"]) == ("Client", 9)
    wrong_list = await client.patch(
        f"/api/v1/lists/business/items/{item['id']}", headers=admin.headers, json={}
    )
    assert wrong_list.status_code == 404

    assert (
        await client.delete(f"/api/v1/lists/category/items/{item['id']}", headers=admin.headers)
    ).status_code == 204
    live = await client.get("/api/v1/lists/category/items", headers=admin.headers)
    assert [each["name"] for each in live.json()] == ["Prospect"]
    everything = await client.get(
        "/api/v1/lists/category/items", headers=admin.headers, params={"include_deleted": True}
    )
    assert [(each["name"], each["deleted"]) for each in everything.json()] == [
        ("Prospect", False),
        ("Client", True),
    ]


async def test_users_cannot_edit_items(client: httpx.AsyncClient, user: Login) -> None:
    reply = await client.post("/api/v1/lists/category/items", headers=user.headers, json={"name": "Customer"})
    assert reply.status_code == 403
    assert reply.json()["error"] == "Forbidden"
    assert (await client.delete("/api/v1/lists/category/items/1", headers=user.headers)).status_code == 403
