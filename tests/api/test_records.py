from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm import store

from .conftest import Login

pytestmark = pytest.mark.anyio


def _fields(body: dict[str, object], error: str = "ValidationFailed") -> dict[str, str]:
    assert set(body) == {"error", "detail", "errors"}
    assert body["error"] == error
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors
    assert all(set(each) == {"field", "message"} for each in errors)
    return {each["field"]: each["message"] for each in errors}


async def test_company_create_get_update_delete(
    client: httpx.AsyncClient, user: Login, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        norway = store.add_list_item(session, "country", "Norway").id
    created = await client.post(
        "/api/v1/companies",
        headers=user.headers,
        json={
            "name": "Nordlys AS",
            "country": norway,
            "employees": 12,
            "turnover": 2.5e6,
            "no_mailings": True,
        },
    )
    assert created.status_code == 201
    company = created.json()
    company_id = company["id"]
    assert company["name"] == "Nordlys AS"
    assert company["country"] == norway
    assert company["phone"] is None
    assert company["registered"].endswith("Z")

    fetched = await client.get(f"/api/v1/companies/{company_id}", headers=user.headers)
    assert fetched.json() == company

    updated = await client.patch(
        f"/api/v1/companies/{company_id}",
        headers=user.headers,
        json={"phone": "+47 22 00 00 00", "fax": None},
    )
    assert updated.status_code == 200
    assert updated.json()["phone"] == "+47 22 00 00 00"
    assert updated.json()["employees"] == 12  # untouched

    with session_factory() as session:
        journal = store.journal_after(session, 0)
    assert [(each.operation, each.changed_fields, each.origin) for each in journal] == [
        ("insert", ("name", "country", "employees", "turnover", "no_mailings"), f"user:{user.user_id}"),
        ("update", ("phone",), f"user:{user.user_id}"),
    ]

    deleted = await client.delete(f"/api/v1/companies/{company_id}", headers=user.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = await client.get(f"/api/v1/companies/{company_id}", headers=user.headers)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "NotFound",
        "detail": f"There is no company with id {company_id}.",
        "errors": [],
    }
    again = await client.delete(f"/api/v1/companies/{company_id}", headers=user.headers)
    assert again.status_code == 404
    patched = await client.patch(f"/api/v1/companies/{company_id}", headers=user.headers, json={"phone": "1"})
    assert patched.status_code == 404


async def test_list_with_paging_and_search(
    client: httpx.AsyncClient, user: Login, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        store.create_many(
            session,
            "company",
            [{"name": f"Fjord {n:02d}", "postal_city": "Bergen"} for n in range(25)]
            + [{"name": "Aurora Oy", "postal_city": "Helsinki"}],
            "system",
        )
    page = await client.get("/api/v1/companies", headers=user.headers, params={"limit": 10, "offset": 20})
    body = page.json()
    assert (body["total"], body["offset"], body["limit"]) == (26, 20, 10)
    assert [each["name"] for each in body["items"]] == [
        "Fjord 20",
        "Fjord 21",
        "Fjord 22",
        "Fjord 23",
        "Fjord 24",
        "Aurora Oy",
    ]
    found = await client.get("/api/v1/companies", headers=user.headers, params={"q": "helsinki"})
    assert [each["name"] for each in found.json()["items"]] == ["Aurora Oy"]
    assert found.json()["total"] == 1
    ordered = await client.get(
        "/api/v1/companies", headers=user.headers, params={"order_by": "-name", "limit": 1}
    )
    assert ordered.json()["items"][0]["name"] == "Fjord 24"


async def test_persons_belong_to_a_company(client: httpx.AsyncClient, user: Login) -> None:
    company = (await client.post("/api/v1/companies", headers=user.headers, json={"name": "Acme"})).json()
    other = (await client.post("/api/v1/companies", headers=user.headers, json={"name": "Other"})).json()
    for company_id, name in [(company["id"], "Kari"), (company["id"], "Ola"), (other["id"], "Per")]:
        reply = await client.post(
            "/api/v1/persons",
            headers=user.headers,
            json={"company_id": company_id, "first_name": name, "birth_date": "1980-05-17T08:00:00+02:00"},
        )
        assert reply.status_code == 201
        assert reply.json()["birth_date"] == "1980-05-17T06:00:00Z"
    persons = await client.get("/api/v1/persons", headers=user.headers, params={"company_id": company["id"]})
    assert [each["first_name"] for each in persons.json()["items"]] == ["Kari", "Ola"]

    orphan = await client.post(
        "/api/v1/persons", headers=user.headers, json={"company_id": 9999, "first_name": "X"}
    )
    # Well-formed, but there is no such company: a conflict with the data, not bad input.
    assert orphan.status_code == 409
    assert _fields(orphan.json(), "Conflict") == {"company_id": "there is no company with id 9999"}

    assert (
        await client.delete(f"/api/v1/companies/{company['id']}", headers=user.headers)
    ).status_code == 204
    assert (await client.get("/api/v1/persons", headers=user.headers)).json()["total"] == 1


async def test_projects_with_list_fields(
    client: httpx.AsyncClient, user: Login, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        planned = store.add_list_item(session, "project_status", "Planned").id
        internal = store.add_list_item(session, "project_type", "Internal").id
    created = await client.post(
        "/api/v1/projects",
        headers=user.headers,
        json={
            "name": "Rollout",
            "status": planned,
            "type": internal,
            "budget": 1000,
            "hours": 40,
            "done": False,
        },
    )
    assert created.status_code == 201
    assert created.json()["budget"] == 1000.0
    wrong = await client.patch(
        f"/api/v1/projects/{created.json()['id']}", headers=user.headers, json={"status": internal}
    )
    assert wrong.status_code == 409
    assert "not an item of the project_status list" in _fields(wrong.json(), "Conflict")["status"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A", "colour": "red"}, "colour"),
        ({"name": "A" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"phone": "123"}, "name"),
        ({"name": "A", "employees": "many"}, "employees"),
        ({"name": "A", "employees": 2**31}, "employees"),
        ({"name": "A", "turnover": "NaN"}, "turnover"),
        ({"name": "A", "registered": "2020-01-01T00:00:00Z"}, "registered"),
        ({"name": "A", "country": 0}, "country"),
        ({"name": "A\u0000B"}, "name"),
    ],
)
async def test_bad_records_get_422_with_field_errors(
    client: httpx.AsyncClient, user: Login, payload: dict[str, object], field: str
) -> None:
    reply = await client.post("/api/v1/companies", headers=user.headers, json=payload)
    assert reply.status_code == 422
    assert field in _fields(reply.json())
    assert (await client.get("/api/v1/companies", headers=user.headers)).json()["total"] == 0


async def test_bad_updates_and_parameters_get_422(client: httpx.AsyncClient, user: Login) -> None:
    company = (await client.post("/api/v1/companies", headers=user.headers, json={"name": "Acme"})).json()
    for payload, field in [
        ({"name": None}, "name"),
        ({"no_mailings": None}, "no_mailings"),
        ({"id": 5}, "id"),
    ]:
        reply = await client.patch(f"/api/v1/companies/{company['id']}", headers=user.headers, json=payload)
        assert reply.status_code == 422, payload
        assert field in _fields(reply.json())
    for path, field in [
        ("/api/v1/companies/0", "record_id"),
        ("/api/v1/companies/99999999999", "record_id"),
        ("/api/v1/companies/abc", "record_id"),
        ("/api/v1/companies?limit=0", "limit"),
        ("/api/v1/companies?limit=501", "limit"),
        ("/api/v1/companies?offset=-1", "offset"),
        ("/api/v1/companies?order_by=colour", "order_by"),
        ("/api/v1/companies?q=a%00b", "q"),
    ]:
        reply = await client.get(path, headers=user.headers)
        assert reply.status_code == 422, path
        assert field in _fields(reply.json()), path


async def test_a_missing_list_item_is_a_conflict(client: httpx.AsyncClient, user: Login) -> None:
    reply = await client.post("/api/v1/companies", headers=user.headers, json={"name": "A", "country": 4242})
    assert reply.status_code == 409
    assert _fields(reply.json(), "Conflict") == {"country": "4242 is not an item of the country list"}
    assert (await client.get("/api/v1/companies", headers=user.headers)).json()["total"] == 0


async def test_not_json_gets_422(client: httpx.AsyncClient, user: Login) -> None:
    for content in (b"{nope", b"\xff\xfe not utf-8"):
        reply = await client.post(
            "/api/v1/companies", headers={**user.headers, "Content-Type": "application/json"}, content=content
        )
        assert reply.status_code == 422
        assert reply.json()["error"] == "ValidationFailed"


async def test_unknown_route_and_method_keep_the_error_shape(client: httpx.AsyncClient, user: Login) -> None:
    reply = await client.get("/api/v1/nothing-here", headers=user.headers)
    assert reply.status_code == 404
    assert reply.json()["error"] == "NotFound"
    reply = await client.put("/api/v1/companies", headers=user.headers, json={})
    assert reply.status_code == 405
    assert reply.json()["error"] == "MethodNotAllowed"
