"""Search checks: free text, by parent, and every operator of every searchable field.

The created actor's values are known, so each restriction has a certain outcome for it (see
:mod:`.cases`). When the marker's field is searchable, every advanced search is pinned to the
actor's value of that field as well, so that results stay small however big the ERP is.
"""

from __future__ import annotations

from erpsync.protocol import ActorType, ErpActor, FieldType, SearchRestriction, call
from erpsync.sdk.search import OPERATORS, PARENT_ACTOR_TYPE, PARENT_ERP_KEY

from .actors import create, read
from .cases import Case, cases_for
from .context import Run, Skipped, expect, listing
from .values import marker_field

__all__ = [
    "check_advanced",
    "check_by_parent",
    "check_search_blank",
    "check_search_text",
    "check_special_key",
    "operators_of",
    "snapshot",
]


def snapshot(run: Run, actor_type: str) -> ErpActor:
    """The created actor as it is now (read once, after the checks that change it)."""
    if actor_type not in run.snapshots:
        run.snapshots[actor_type] = read(run, actor_type, run.primary_of(actor_type).key)
    return run.snapshots[actor_type]


def operators_of(field_type: FieldType) -> list[str]:
    return sorted(OPERATORS.get(field_type, frozenset()))


def check_search_text(run: Run, actor_type: str) -> str:
    created = run.primary_of(actor_type)
    found = run.send(call.search_actors(run.guid, actor_type, created.marker)).actors
    expect(created.key in {a.erp_key for a in found}, f"searching {created.marker!r} does not find the actor")
    return f"{created.marker!r} finds it among {len(found)}"


def check_search_blank(run: Run, actor_type: str) -> str:
    run.require_connection()
    found = run.send(call.search_actors(run.guid, actor_type, "")).actors
    expect(bool(found), "blank text returns no actors")
    return f"{len(found)} actors"


def _children(run: Run, text: str, parent_type: str, parent_key: str) -> list[ErpActor]:
    reply = run.send(call.search_actor_by_parent(run.guid, ActorType.Person, text, parent_type, parent_key))
    strays = [a.erp_key for a in reply.actors if a.parent_erp_key and a.parent_erp_key != parent_key]
    expect(not strays, f"persons of other parents returned under {parent_key!r}: {listing(strays)}")
    return reply.actors


def check_by_parent(run: Run) -> str:
    parent_type = run.parent_type()
    if parent_type is None:
        raise Skipped("no Customer, Supplier or Partner type to be a parent")
    person = run.primary_of(ActorType.Person)
    parent_key = run.primary_of(parent_type).key
    for text in ("", person.marker):
        keys = {a.erp_key for a in _children(run, text, parent_type, parent_key)}
        expect(person.key in keys, f"text {text!r} under its parent {parent_key!r} does not find the person")
    other = create(run, parent_type)
    keys = {a.erp_key for a in _children(run, "", parent_type, other.key)}
    expect(person.key not in keys, f"the person is found under another parent {other.key!r}")
    return f"found under {parent_type} {parent_key!r}, not under {other.key!r}"


# -- advanced search ----------------------------------------------------------------------------------


def _pin(run: Run, actor_type: str, actor: ErpActor) -> list[SearchRestriction]:
    """``marker field = its value`` when that field is searchable: keeps the results small."""
    fields = run.fields_of(actor_type)
    searchable = run.searchable.get(actor_type, [])
    meta = marker_field(fields.values(), searchable)
    if meta is None or meta.field_key not in searchable:
        return []
    value = actor.field_values.get(meta.field_key, "")
    return [SearchRestriction(field_key=meta.field_key, operator="=", values=[value])] if value else []


def _run_cases(
    run: Run, actor_type: str, field_key: str, operator: str, cases: list[Case], check_field: bool
) -> str:
    actor = snapshot(run, actor_type)
    pin = _pin(run, actor_type, actor)
    returned = [field_key] if check_field else []
    wrong: list[str] = []
    for case in cases:
        restriction = SearchRestriction(field_key=field_key, operator=operator, values=list(case.values))
        reply = run.send(call.search_actors_advanced(run.guid, actor_type, [*pin, restriction], returned))
        hits = [a for a in reply.actors if a.erp_key == actor.erp_key]
        if bool(hits) != case.found:
            wrong.append(case.describe())
        elif hits and check_field and field_key not in hits[0].field_values:
            wrong.append(f"{list(case.values)} returns the actor without the requested field")
    expect(not wrong, f"value {_value_of(actor, field_key)!r}: {listing(wrong, 3)}")
    return f"{len(cases)} cases" + (" (pinned to the marker)" if pin else "")


def _value_of(actor: ErpActor, field_key: str) -> str:
    specials = {PARENT_ERP_KEY: actor.parent_erp_key, PARENT_ACTOR_TYPE: actor.parent_actor_type}
    return specials.get(field_key, actor.field_values.get(field_key, ""))


def _other_list_key(run: Run, list_name: str, value: str) -> str:
    keys = [i.key for i in run.lists.get(list_name, []) if i.key != value]
    return keys[0] if keys else f"no-such-item-{value}"


def check_advanced(run: Run, actor_type: str, field_key: str, operator: str) -> str:
    meta = run.fields_of(actor_type)[field_key]
    value = snapshot(run, actor_type).field_values.get(field_key, "")
    if not value and meta.field_type is not FieldType.Checkbox:
        raise Skipped("the created actor's value is empty, so no outcome is certain")
    other = _other_list_key(run, meta.list_name, value)
    cases = cases_for(meta.field_type, operator, value, other)
    return _run_cases(run, actor_type, field_key, operator, cases, check_field=bool(value))


def check_special_key(run: Run, key: str) -> str:
    """``ParentErpKey`` / ``ParentActorType`` on Person: its own parent in, another out."""
    person = snapshot(run, ActorType.Person)
    if not person.parent_erp_key:
        raise Skipped("the created person has no parent")
    if key == PARENT_ERP_KEY:
        own, other = person.parent_erp_key, person.parent_erp_key + "-other"
    else:
        own = person.parent_actor_type
        other = next(t.value for t in ActorType if t not in (ActorType.Unknown, own))
    cases = [Case((own,), True), Case((other,), False)]
    return _run_cases(run, ActorType.Person, key, "=", cases, check_field=False)
