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

Reading a page costs one ``search_read`` of the parties (their role checked in the same call) and
one per child model for all parties of the page, each asking only for the fields the requested
field keys need: trytond spends its time per row and per field read (multi-company fields such as
``lang`` and the payment terms cost most), and in encoding its answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from erpsync.protocol import ActorType, ErpActor
from erpsync.protocol.codec import decode_bool, encode_bool, encode_datetime
from erpsync.sdk.errors import InvalidValue
from erpsync.sdk.languages import explain as _

from .actors import fields_of
from .session import TrytonSession, role_domain
from .values import from_tryton, stamp_of

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
_ORDER = ("sequence", "active")  # what picks the first active child
#: Field key → the child relation it is read from, and the fields of that child it needs (beyond
#: the party and the date). ``street`` is computed per row from the country's address format: it is
#: read only when POSTALAD1 is asked for.
_CHILD_FIELDS_OF_KEY: Mapping[str, tuple[str, tuple[str, ...]]] = {
    **dict.fromkeys(MECHANISMS, ("contact_mechanisms", ("type", "value", *_ORDER))),
    "POSTALAD1": ("addresses", ("street", *_ORDER)),
    "POSTALZIP": ("addresses", ("postal_code", *_ORDER)),
    "POSTALCITY": ("addresses", ("city", *_ORDER)),
    "COUNTRY": ("addresses", ("country", *_ORDER)),
    "VATNO": ("identifiers", ("type", "code", *_ORDER)),
}
_PARTY_FIELDS_OF_KEY: Mapping[str, tuple[str, ...]] = {
    "NAME": ("name",),
    "FIRSTNAME": ("name",),
    "LASTNAME": ("name",),
    "NUMBER1": ("code",),
    "INACTIVE": ("active",),
    "CREATED": ("create_date",),
    "LANGUAGE": ("lang",),
    "CATEGORY": ("categories",),
    "VATNO": ("tax_identifier",),
}


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
    """A party as read from Tryton, with what the actor is made of.

    ``raw`` holds the party fields read; ``kids`` the active rows of each child model read, in
    Tryton's order (empty for a model whose values were not asked for).
    """

    raw: dict[str, Any]
    last_modified: str
    kids: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    parent: tuple[str, str] = ("", "")  # a person's (parent actor type, parent ErpKey)

    @property
    def id(self) -> int:
        return int(self.raw["id"])

    def children(self, relation: str) -> list[Mapping[str, Any]]:
        return self.kids.get(relation, [])

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


@dataclass(frozen=True, slots=True)
class Reading:
    """What to read of a party for some field keys: party fields, and the fields of each child
    relation whose values are needed (every child's date is read anyway, for LastModified)."""

    keys: tuple[str, ...]
    party: tuple[str, ...]
    children: Mapping[str, tuple[str, ...]]
    mechanism_types: tuple[str, ...]


@lru_cache(maxsize=256)
def reading(actor_type: ActorType, keys: tuple[str, ...]) -> Reading:
    """The reading for ``keys`` of ``actor_type`` (every field when ``keys`` is empty)."""
    keys = keys or tuple(f.field_key for f in fields_of(actor_type))
    party: dict[str, None] = {"last_modified_at": None}
    for key in keys:
        party.update(dict.fromkeys(_PARTY_FIELDS_OF_KEY.get(key, ())))
    if "PAYMENTTERMS" in keys:
        party["customer_payment_term" if actor_type is ActorType.Customer else "supplier_payment_term"] = None
    children: dict[str, dict[str, None]] = {}
    for key in keys:
        if key in _CHILD_FIELDS_OF_KEY:
            relation, needed = _CHILD_FIELDS_OF_KEY[key]
            children.setdefault(relation, {}).update(dict.fromkeys(needed))
    types = tuple(dict.fromkeys(MECHANISMS[k] for k in keys if k in MECHANISMS))
    return Reading(keys, tuple(party), {relation: tuple(f) for relation, f in children.items()}, types)


def read_parties(
    session: TrytonSession,
    actor_type: ActorType,
    ids: Sequence[int],
    keys: Sequence[str] = (),
    stamps: Mapping[int, str] | None = None,
) -> list[PartyRow]:
    """The parties with ``ids`` that are actors of ``actor_type`` (others are left out), in the order
    of ``ids``, with what ``keys`` (all fields when empty) need.

    Their LastModified is read too, from the party and every child row; unless ``stamps`` (id →
    LastModified) already tells it, as the feed's positions do: then only the active children of
    the kinds the keys need are read, and no dates (a third of what trytond answers a page with).
    """
    if not ids:
        return []
    plan = reading(actor_type, tuple(keys))
    context = session.context
    party_fields = [f for f in plan.party if stamps is None or f != "last_modified_at"]
    members = [("id", "in", list(ids)), *role_domain(session, actor_type)]
    rows = session.call("party.party", "search_read", members, 0, None, None, party_fields, context)
    found = {int(r["id"]): r for r in rows}
    present = [i for i in ids if i in found]
    if not present:
        return []
    if stamps is None:
        newest = {i: stamp_of(found[i].get("last_modified_at")) for i in present}
    else:
        newest = {i: stamps.get(i, "") for i in present}
    kids: dict[int, dict[str, list[Mapping[str, Any]]]] = {i: {} for i in present}
    for relation, model in CHILD_MODELS:
        wanted = relation in plan.children
        domain: list[Any] = [("party", "in", present)]
        fields = ["party", *plan.children.get(relation, ())]
        if stamps is None:
            fields.append("last_modified_at")
        elif not wanted:
            continue
        else:
            domain.append(("active", "=", True))
            if relation == "contact_mechanisms":
                domain.append(("type", "in", list(plan.mechanism_types)))
        children = session.call(model, "search_read", domain, 0, None, None, fields, context)
        for child in children:
            owner = child.get("party")
            if owner not in newest:
                continue
            if stamps is None:
                stamp = stamp_of(child.get("last_modified_at"))
                if stamp > newest[owner]:
                    newest[owner] = stamp
            if wanted:
                kids[owner].setdefault(relation, []).append(child)
    result: list[PartyRow] = []
    for i in present:
        if not newest[i]:
            raise InvalidValue(_("Tryton party %(id)s has no modification date.", id=i))
        ordered = {relation: _ordered(rows) for relation, rows in kids[i].items()}
        result.append(PartyRow(found[i], newest[i], ordered))
    return result


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


@dataclass(frozen=True, slots=True)
class _Lists:
    """The list look-ups of one page, taken once rather than per actor and field."""

    languages: Mapping[int, str]
    countries: Mapping[int, str]
    terms: Mapping[int, str]
    categories: Mapping[int, str]
    category_order: Mapping[str, str]

    @classmethod
    def of(cls, session: TrytonSession, keys: tuple[str, ...]) -> _Lists:
        def ids(name: str, *needed_by: str) -> Mapping[int, str]:
            return session.lists(name).key_of_id if any(k in keys for k in needed_by) else {}

        order = session.lists("categories").items if "CATEGORY" in keys else {}
        return cls(
            languages=ids("languages", "LANGUAGE"),
            countries=ids("countries", "COUNTRY"),
            terms=ids("paymentterms", "PAYMENTTERMS"),
            categories=ids("categories", "CATEGORY"),
            category_order={k: v.casefold() for k, v in order.items()},
        )


def _values(actor_type: ActorType, row: PartyRow, keys: tuple[str, ...], lists: _Lists) -> dict[str, str]:
    """The field values of ``keys``, in that order."""
    raw = row.raw
    values: dict[str, str] = {}
    for key in keys:
        if key in MECHANISMS:
            mechanism = row.mechanism(MECHANISMS[key]) or {}
            values[key] = _text(mechanism.get("value"))
        elif key in _ADDRESS or key == "COUNTRY":
            address = row.address() or {}
            if key == "COUNTRY":
                values[key] = lists.countries.get(address.get("country") or 0, "")
            else:
                values[key] = _text(address.get(_ADDRESS[key]))
        elif key == "NAME":
            values[key] = _text(raw.get("name"))
        elif key in ("FIRSTNAME", "LASTNAME"):
            first, last = split_person_name(_text(raw.get("name")))
            values[key] = first if key == "FIRSTNAME" else last
        elif key == "NUMBER1":
            values[key] = _text(raw.get("code"))
        elif key == "VATNO":
            values[key] = _text((row.tax_identifier() or {}).get("code"))
        elif key == "LANGUAGE":
            values[key] = lists.languages.get(raw.get("lang") or 0, "")
        elif key == "PAYMENTTERMS":
            customer = actor_type is ActorType.Customer
            term = raw.get("customer_payment_term" if customer else "supplier_payment_term")
            values[key] = lists.terms.get(term or 0, "")
        elif key == "CATEGORY":
            own = sorted(
                (lists.categories[c] for c in row.categories() if c in lists.categories),
                key=lambda k: lists.category_order.get(k, ""),
            )
            values[key] = own[0] if own else ""
        elif key == "INACTIVE":
            values[key] = encode_bool(not raw.get("active", True))
        elif key == "CREATED":
            created = from_tryton(raw.get("create_date"))
            values[key] = encode_datetime(created) if isinstance(created, datetime) else ""
    return values


def party_actors(
    session: TrytonSession, actor_type: ActorType, rows: Sequence[PartyRow], keys: Sequence[str] = ()
) -> list[ErpActor]:
    """The actors of ``rows`` (already known to be of ``actor_type``) with the field values of
    ``keys`` (all fields when empty; ``rows`` must have been read for them)."""
    if actor_type is ActorType.Person:
        _parents(session, [r for r in rows if r.parent == ("", "")])
    plan = reading(actor_type, tuple(keys))
    lists = _Lists.of(session, plan.keys)
    return [
        ErpActor(
            actor_type=actor_type,
            erp_key=str(row.id),
            last_modified=row.last_modified,
            parent_actor_type=row.parent[0],
            parent_erp_key=row.parent[1],
            field_values=_values(actor_type, row, plan.keys, lists),
        )
        for row in rows
    ]


# -- writing ------------------------------------------------------------------------------------------


def _list_id(session: TrytonSession, list_name: str, key: str, label: str) -> int | None:
    if not key:
        return None
    found = session.lists(list_name).id_of_key.get(key)
    if found is None:
        raise InvalidValue(
            _(
                "%(field)s: %(key)r is not an item of the Tryton list %(list)r.",
                field=label,
                key=key,
                list=list_name,
            )
        )
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
