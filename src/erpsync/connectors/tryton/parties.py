"""Customers, suppliers and contact persons: Tryton parties as actors and back.

* A **Customer** / **Supplier** is a party in the configured role category (a party in both is
  both actors, with the same ErpKey: its id).
* A **Person** is a party related to its company by the configured relation type (module
  ``party_relationship``); the company is the actor's parent, reported as Customer when it has the
  customer role, else as Supplier. Tryton keeps one name; a person's is ``"Last, First"``.
* Phone, e-mail … are the first active contact mechanism of that type; the address fields are the
  first active address; VATNO is the tax identifier (else the first identifier without a type).
* ``LastModified`` is the newest ``last_modified_at`` of the party and of its contact mechanisms,
  addresses and identifiers, so an edit of any of them is a change of the actor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from erpsync.protocol import ActorType, ErpActor
from erpsync.protocol.codec import decode_bool, encode_bool, encode_datetime
from erpsync.sdk.errors import InvalidValue

from .session import TrytonSession
from .values import format_last_modified, from_tryton

__all__ = [
    "CHILD_MODELS",
    "MECHANISMS",
    "PartyRow",
    "child_values",
    "join_person_name",
    "party_actors",
    "party_changes",
    "read_parties",
    "split_person_name",
]

#: Field key → contact mechanism type.
MECHANISMS: Mapping[str, str] = {
    "PHONE": "phone",
    "FAX": "fax",
    "EMAIL": "email",
    "URL": "website",
    "PHONE_DIRECT": "phone",
    "PHONE_MOBILE": "mobile",
}
_ADDRESS = {"POSTALAD1": "street", "POSTALZIP": "postal_code", "POSTALCITY": "city"}
#: One-to-many children whose changes change the party's LastModified (relation name, model).
CHILD_MODELS = (
    ("contact_mechanisms", "party.contact_mechanism"),
    ("addresses", "party.address"),
    ("identifiers", "party.identifier"),
)
_READ = [
    "name", "code", "active", "create_date", "last_modified_at", "lang", "categories",
    "customer_payment_term", "supplier_payment_term", "tax_identifier",
    "contact_mechanisms.type", "contact_mechanisms.value", "contact_mechanisms.sequence",
    "contact_mechanisms.active", "contact_mechanisms.last_modified_at",
    "addresses.street", "addresses.postal_code", "addresses.city", "addresses.country",
    "addresses.sequence", "addresses.active", "addresses.last_modified_at",
    "identifiers.type", "identifiers.code", "identifiers.sequence", "identifiers.active",
    "identifiers.last_modified_at",
]  # fmt: skip


def split_person_name(name: str) -> tuple[str, str]:
    """``"Lovelace, Ada"`` → ``("Ada", "Lovelace")``; a name without ``", "`` is all last name."""
    last, sep, first = name.partition(", ")
    return (first, last) if sep else ("", name)


def join_person_name(first: str, last: str) -> str:
    return f"{last}, {first}" if first else last


def _ordered(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Active rows in Tryton's order: sequence (empty first), then id."""
    active = [r for r in rows if r.get("active", True)]
    return sorted(active, key=lambda r: (r.get("sequence") is not None, r.get("sequence") or 0, r["id"]))


@dataclass(slots=True)
class PartyRow:
    """A party as read from Tryton, with what the actor is made of."""

    raw: dict[str, Any]
    last_modified: str
    parent: tuple[str, str] = ("", "")  # a person's (parent actor type, parent ErpKey)

    @property
    def id(self) -> int:
        return int(self.raw["id"])

    def children(self, relation: str) -> list[Mapping[str, Any]]:
        return _ordered(self.raw.get(f"{relation}.") or [])

    def mechanism(self, kind: str) -> Mapping[str, Any] | None:
        return next((m for m in self.children("contact_mechanisms") if m.get("type") == kind), None)

    def address(self) -> Mapping[str, Any] | None:
        addresses = self.children("addresses")
        return addresses[0] if addresses else None

    def tax_identifier(self) -> Mapping[str, Any] | None:
        identifiers = self.children("identifiers")
        chosen = self.raw.get("tax_identifier")
        return next(
            (i for i in identifiers if i["id"] == chosen),
            next((i for i in identifiers if not i.get("type")), None),
        )

    def categories(self) -> list[int]:
        return [int(c) for c in self.raw.get("categories") or []]


def _newest(raw: Mapping[str, Any]) -> datetime:
    stamps = [from_tryton(raw.get("last_modified_at"))]
    for relation, _ in CHILD_MODELS:
        stamps.extend(from_tryton(child.get("last_modified_at")) for child in raw.get(f"{relation}.") or [])
    present = [s for s in stamps if isinstance(s, datetime)]
    if not present:
        raise InvalidValue(f"Tryton party {raw.get('id')} has no modification date.")
    return max(present)


def read_parties(session: TrytonSession, ids: Sequence[int]) -> list[PartyRow]:
    """The parties with ``ids`` (missing ones are left out), in the order of ``ids``."""
    if not ids:
        return []
    rows = session.call("party.party", "read", list(ids), _READ, session.context)
    found = {int(r["id"]): PartyRow(r, format_last_modified(_newest(r))) for r in rows}
    return [found[i] for i in ids if i in found]


def _parents(session: TrytonSession, rows: Sequence[PartyRow]) -> None:
    """Fill each person's parent: the party it is related to by the contact relation."""
    if not rows:
        return
    relations = session.call(
        "party.relation.all",
        "search_read",
        [("from_", "in", [r.id for r in rows]), ("type", "=", session.contact_relation)],
        0,
        None,
        [("id", "ASC")],
        ["from_", "to"],
        session.context,
    )
    parent_of: dict[int, int] = {}
    for relation in relations:
        parent_of.setdefault(int(relation["from_"]), int(relation["to"]))
    parents = session.call(
        "party.party", "read", sorted(set(parent_of.values())), ["categories"], session.context
    )
    customers = {int(p["id"]) for p in parents if session.customer_category in (p.get("categories") or [])}
    suppliers = {int(p["id"]) for p in parents if session.supplier_category in (p.get("categories") or [])}
    for row in rows:
        parent = parent_of.get(row.id)
        if parent is None:
            continue
        kind = ActorType.Supplier if parent in suppliers and parent not in customers else ActorType.Customer
        row.parent = (kind.value, str(parent))


def _text(value: Any) -> str:
    return "" if value is None or value is False else str(value)


def _values(session: TrytonSession, actor_type: ActorType, row: PartyRow) -> dict[str, str]:
    raw = row.raw
    values: dict[str, str] = {}
    languages = session.lists("languages").key_of_id
    values["LANGUAGE"] = languages.get(raw.get("lang") or 0, "")
    values["INACTIVE"] = encode_bool(not raw.get("active", True))
    created = from_tryton(raw.get("create_date"))
    values["CREATED"] = encode_datetime(created) if isinstance(created, datetime) else ""
    mechanisms: tuple[str, ...] = ("EMAIL", "PHONE_DIRECT", "PHONE_MOBILE")
    if actor_type is ActorType.Person:
        first, last = split_person_name(_text(raw.get("name")))
        values["FIRSTNAME"], values["LASTNAME"] = first, last
    else:
        mechanisms = ("PHONE", "FAX", "EMAIL", "URL")
        values["NAME"] = _text(raw.get("name"))
        values["NUMBER1"] = _text(raw.get("code"))
        address = row.address() or {}
        for key, name in _ADDRESS.items():
            values[key] = _text(address.get(name))
        countries = session.lists("countries").key_of_id
        values["COUNTRY"] = countries.get(address.get("country") or 0, "")
        identifier = row.tax_identifier() or {}
        values["VATNO"] = _text(identifier.get("code"))
        customer = actor_type is ActorType.Customer
        term = raw.get("customer_payment_term" if customer else "supplier_payment_term")
        values["PAYMENTTERMS"] = session.lists("paymentterms").key_of_id.get(term or 0, "")
        categories = session.lists("categories").key_of_id
        own = sorted(
            (categories[c] for c in row.categories() if c in categories),
            key=lambda k: session.lists("categories").items.get(k, "").casefold(),
        )
        values["CATEGORY"] = own[0] if own else ""
    for key in mechanisms:
        mechanism = row.mechanism(MECHANISMS[key]) or {}
        values[key] = _text(mechanism.get("value"))
    return values


def party_actors(session: TrytonSession, actor_type: ActorType, rows: Sequence[PartyRow]) -> list[ErpActor]:
    """The actors of ``rows`` (already known to be of ``actor_type``), all fields."""
    if actor_type is ActorType.Person:
        _parents(session, [r for r in rows if r.parent == ("", "")])
    return [
        ErpActor(
            actor_type=actor_type,
            erp_key=str(row.id),
            last_modified=row.last_modified,
            parent_actor_type=row.parent[0],
            parent_erp_key=row.parent[1],
            field_values=_values(session, actor_type, row),
        )
        for row in rows
    ]


# -- writing ------------------------------------------------------------------------------------------


def _list_id(session: TrytonSession, list_name: str, key: str, label: str) -> int | None:
    if not key:
        return None
    found = session.lists(list_name).id_of_key.get(key)
    if found is None:
        raise InvalidValue(f"{label}: {key!r} is not an item of the Tryton list {list_name!r}.")
    return found


def _mechanism_actions(row: PartyRow | None, values: Mapping[str, str]) -> list[Any]:
    actions: list[Any] = []
    for key, kind in MECHANISMS.items():
        if key not in values:
            continue
        value = values[key].strip()
        current = row.mechanism(kind) if row else None
        if current is None:
            if value:
                actions.append(("create", [{"type": kind, "value": value}]))
        elif not value:
            actions.append(("delete", [current["id"]]))
        elif value != current.get("value"):
            actions.append(("write", [current["id"]], {"value": value}))
    return actions


def _address_actions(session: TrytonSession, row: PartyRow | None, values: Mapping[str, str]) -> list[Any]:
    changes: dict[str, Any] = {name: values[key] for key, name in _ADDRESS.items() if key in values}
    if "COUNTRY" in values:
        changes["country"] = _list_id(session, "countries", values["COUNTRY"], "Country")
    if not changes:
        return []
    current = row.address() if row else None
    if current is not None:
        return [("write", [current["id"]], changes)]
    return [("create", [changes])] if any(changes.values()) else []


def _identifier_actions(row: PartyRow | None, values: Mapping[str, str]) -> list[Any]:
    if "VATNO" not in values:
        return []
    code = values["VATNO"].strip()
    current = row.tax_identifier() if row else None
    if current is None:
        return [("create", [{"code": code}])] if code else []
    if not code:
        return [("delete", [current["id"]])]
    return [("write", [current["id"]], {"code": code})] if code != current.get("code") else []


def child_values(session: TrytonSession, row: PartyRow | None, values: Mapping[str, str]) -> dict[str, Any]:
    """The one-to-many actions (contact mechanisms, address, identifier) for ``values``."""
    changes: dict[str, Any] = {}
    for name, actions in (
        ("contact_mechanisms", _mechanism_actions(row, values)),
        ("addresses", _address_actions(session, row, values)),
        ("identifiers", _identifier_actions(row, values)),
    ):
        if actions:
            changes[name] = actions
    return changes


def party_changes(
    session: TrytonSession,
    actor_type: ActorType,
    row: PartyRow | None,
    values: Mapping[str, str],
    parent: int | None = None,
) -> dict[str, Any]:
    """The values of ``party.party.create`` (``row`` None) or ``write`` for an actor's field values."""
    changes: dict[str, Any] = {}
    if "NAME" in values:
        changes["name"] = values["NAME"]
    if "FIRSTNAME" in values or "LASTNAME" in values:
        first, last = split_person_name(_text(row.raw.get("name"))) if row else ("", "")
        changes["name"] = join_person_name(values.get("FIRSTNAME", first), values.get("LASTNAME", last))
    if "INACTIVE" in values:
        changes["active"] = not (values["INACTIVE"] and decode_bool(values["INACTIVE"]))
    if "LANGUAGE" in values:
        changes["lang"] = _list_id(session, "languages", values["LANGUAGE"], "Language")
    if "PAYMENTTERMS" in values:
        term = "customer_payment_term" if actor_type is ActorType.Customer else "supplier_payment_term"
        changes[term] = _list_id(session, "paymentterms", values["PAYMENTTERMS"], "Payment terms")
    categories: list[Any] = []
    if actor_type in (ActorType.Customer, ActorType.Supplier):
        role = session.customer_category if actor_type is ActorType.Customer else session.supplier_category
        if row is None or role not in row.categories():
            categories.append(("add", [role]))
        if "CATEGORY" in values:
            # The CRM has one category: it replaces every category of the party but the roles.
            chosen = _list_id(session, "categories", values["CATEGORY"], "Category")
            old = [c for c in (row.categories() if row else []) if c not in session.role_categories]
            if old and old != [chosen]:
                categories.append(("remove", old))
            if chosen is not None and chosen not in old:
                categories.append(("add", [chosen]))
    if categories:
        changes["categories"] = categories
    if row is None and parent is not None:
        changes["relations"] = [("create", [{"to": parent, "type": session.contact_relation}])]
    changes.update(child_values(session, row, values))
    if row is None:
        # An empty address list keeps Tryton from adding a blank address of its own.
        changes.setdefault("addresses", [])
    return changes
