"""The binder: links are unique both ways per connection, a race is refused alike, a person needs its
company's link."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.hub import links
from erpsync.hub.errors import Refused
from erpsync.hub.models import ErpConnection, ErpConnector


def _connection(session: Session, name: str) -> ErpConnection:
    connector = ErpConnector(display_name="Demo", url="http://127.0.0.1:1/connectors/demo")
    session.add(connector)
    session.flush()
    connection = ErpConnection(
        connector_id=connector.id, display_name=name, guid=str(uuid.uuid4()), active=True
    )
    session.add(connection)
    session.flush()
    return connection


def _bind(session: Session, connection: ErpConnection, record_id: int, erp_key: str) -> None:
    links.bind(session, connection, CrmEntity.company, record_id, "Customer", erp_key, "t1", {"NAME": "Acme"})


def test_a_link_is_unique_both_ways_within_a_connection(session: Session) -> None:
    main, other = _connection(session, "Main"), _connection(session, "Other")
    _bind(session, main, 1, "100")
    with pytest.raises(Refused):
        _bind(session, main, 1, "200")  # the record again
    with pytest.raises(Refused):
        _bind(session, main, 2, "100")  # the actor again
    _bind(session, other, 1, "100")  # another connection: the CRM is the hub
    found = links.link_of_record(session, main.id, CrmEntity.company, 1)
    assert found is not None
    assert (found.erp_key, found.last_modified, found.base_values) == (
        "100",
        "t1",
        {"NAME": "Acme"},
    )
    assert [link.connection_id for link in links.links_of_record(session, CrmEntity.company, 1)] == [
        main.id,
        other.id,
    ]
    assert set(links.links_of_actors(session, main.id, "Customer", ["100", "999"])) == {"100"}


def test_a_link_made_at_the_same_time_is_refused_and_the_transaction_goes_on(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = _connection(session, "Main")
    _bind(session, main, 1, "100")
    session.commit()
    # Someone else's link appears between the check and the insert: the unique constraint decides.
    monkeypatch.setattr(links, "require_unlinked", lambda *args, **kwargs: None)
    with pytest.raises(Refused, match="at the same time"):
        _bind(session, main, 1, "300")
    _bind(session, main, 2, "200")
    session.commit()
    assert links.link_of_actor(session, main.id, "Customer", "200") is not None
    assert links.link_of_actor(session, main.id, "Customer", "300") is None


def test_a_person_needs_its_companys_link(session: Session) -> None:
    main = _connection(session, "Main")
    company = store.create(session, CrmEntity.company, {"name": "Acme"}, "system")
    person_id = store.create(session, CrmEntity.person, {"company_id": company, "last_name": "Lee"}, "system")
    person = store.get(session, CrmEntity.person, person_id)
    assert person is not None
    with pytest.raises(Refused, match="company is not linked"):
        links.require_parent_link(session, main, person)
    _bind(session, main, company, "100")
    parent = links.require_parent_link(session, main, person)
    assert (parent.erp_actor_type, parent.erp_key) == ("Customer", "100")
    links.unbind(session, parent)
    assert links.parent_link(session, main.id, person) is None
