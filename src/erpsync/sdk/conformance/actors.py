"""Checks that write actors: create, read back, refusals of bad input, save, batches, encodings."""

from __future__ import annotations

from collections.abc import Sequence

from erpsync.protocol import (
    ActorResult,
    Capability,
    ConnectorReplyError,
    ErpActor,
    FieldAccess,
    FieldMetadata,
    FieldType,
    PluginResponse,
    ResponseState,
    call,
)
from erpsync.protocol.codec import ValueError_, decode
from erpsync.protocol.timestamps import compare, is_newer

from .context import Created, Failed, Run, Skipped, expect, listing
from .values import (
    changed_text,
    compare_values,
    generate_values,
    is_writable,
    marker_field,
    new_marker,
    seconds_only,
    wrongly_encoded,
)

__all__ = [
    "BATCH_SIZE",
    "check_bad_encoding",
    "check_create",
    "check_create_actors",
    "check_encodings",
    "check_mandatory_missing",
    "check_per_actor_results",
    "check_read_back",
    "check_save",
    "create",
    "new_actor",
    "read",
]

#: How many actors one CreateActors call creates (enough for several pages of 4).
BATCH_SIZE = 25


# -- helpers shared with the timestamp and search checks ------------------------------------------


def new_actor(run: Run, actor_type: str) -> tuple[ErpActor, str]:
    """A new actor with a value for every writable field, and its marker."""
    fields = run.fields_of(actor_type)
    marker = new_marker()
    parent_type, parent_key = run.parent_of(actor_type)
    actor = ErpActor(
        actor_type=actor_type,
        parent_actor_type=parent_type,
        parent_erp_key=parent_key,
        field_values=generate_values(fields.values(), marker, run.lists, run.rng),
    )
    return actor, marker


def _expect_stamped(actor: ErpActor | None, actor_type: str, what: str) -> ErpActor:
    expect(actor is not None, f"{what} returned no actor")
    assert actor is not None
    expect(bool(actor.erp_key), f"{what} returned an actor without ErpKey")
    expect(bool(actor.last_modified), f"{what} returned {actor.erp_key!r} without LastModified")
    expect(actor.actor_type == actor_type, f"{what} returned a {actor.actor_type!r}, not a {actor_type}")
    return actor


def create(run: Run, actor_type: str) -> Created:
    run.require_connection()
    actor, marker = new_actor(run, actor_type)
    reply = run.send(call.create_actor(run.guid, actor))
    created = _expect_stamped(reply.actor, actor_type, "CreateActor")
    return Created(created, dict(actor.field_values), marker)


def read(run: Run, actor_type: str, erp_key: str) -> ErpActor:
    """The actor as GetActors returns it now, with all its fields."""
    actors = run.send(call.get_actors(run.guid, actor_type, [erp_key])).actors
    matching = [a for a in actors if a.erp_key == erp_key]
    expect(len(matching) == 1, f"GetActors returned {len(matching)} actors with ErpKey {erp_key!r}")
    return matching[0]


def _plain_text_field(run: Run, actor_type: str) -> FieldMetadata:
    """The text field a save changes: not the marker field when another one exists."""
    fields = run.fields_of(actor_type)
    marker = marker_field(fields.values(), run.searchable.get(actor_type, []))
    texts = [f for f in fields.values() if f.field_type is FieldType.Text and is_writable(f)]
    others = [f for f in texts if f is not marker and (f.max_length == 0 or f.max_length >= 20)]
    chosen = others[0] if others else marker
    if chosen is None:
        raise Skipped(f"{actor_type} has no writable text field")
    return chosen


def _changed(actor: ErpActor, values: dict[str, str]) -> ErpActor:
    """What the hub sends to save: key, parent and last known LastModified, plus the changed fields."""
    return actor.model_copy(update={"field_values": values})


# -- create and read back ----------------------------------------------------------------------------


def check_create(run: Run, actor_type: str) -> str:
    created = create(run, actor_type)
    run.primary[actor_type] = created
    return (
        f"ErpKey {created.key!r}, LastModified {created.actor.last_modified!r}, "
        f"{len(created.written)} values written"
    )


def check_read_back(run: Run, actor_type: str) -> str:
    created = run.primary_of(actor_type)
    fields = run.fields_of(actor_type)
    actor = read(run, actor_type, created.key)
    problems: list[str] = []
    rounded: list[str] = []
    for key, written in created.written.items():
        meta = fields[key]
        if meta.field_type is FieldType.Password:
            continue  # a connector may withhold passwords
        if key not in actor.field_values:
            problems.append(f"{key} missing")
            continue
        difference = compare_values(meta, written, actor.field_values[key])
        if difference:
            problems.append(f"{key}: {difference}")
        elif seconds_only(meta, written, actor.field_values[key]):
            rounded.append(key)
    expect(not problems, f"values differ: {listing(problems, 3)}")
    sent = created.actor
    expect(
        (actor.parent_actor_type, actor.parent_erp_key) == (sent.parent_actor_type, sent.parent_erp_key),
        f"parent read back as {actor.parent_actor_type}/{actor.parent_erp_key!r}, "
        f"created under {sent.parent_actor_type}/{sent.parent_erp_key!r}",
    )
    expect(
        compare(actor.last_modified, sent.last_modified) >= 0,
        f"LastModified read back {actor.last_modified!r} is older than CreateActor's {sent.last_modified!r}",
    )
    detail = f"{len(created.written)} written values read back equal"
    return detail + (f"; date-times kept to the second ({listing(rounded)})" if rounded else "")


# -- refusals ------------------------------------------------------------------------------------------


def _refusal(exc: ConnectorReplyError, what: str) -> PluginResponse:
    response = exc.response
    expect(response.state is ResponseState.Error, f"{what}: refused with State {response.state}, not Error")
    expect(bool(response.user_explanation), f"{what}: refused without a UserExplanation")
    return response


def check_mandatory_missing(run: Run, actor_type: str) -> str:
    fields = run.fields_of(actor_type)
    mandatory = [f for f in fields.values() if f.access is FieldAccess.Mandatory and is_writable(f)]
    if not mandatory:
        raise Skipped(f"{actor_type} has no mandatory field")
    run.require_connection()
    left_out = mandatory[0].field_key
    actor, _ = new_actor(run, actor_type)
    actor.field_values.pop(left_out, None)
    try:
        reply = run.send(call.create_actor(run.guid, actor))
    except ConnectorReplyError as exc:
        response = _refusal(exc, "CreateActor")
        return f"without {left_out}: refused with {response.user_explanation!r}"
    key = reply.actor.erp_key if reply.actor else ""
    raise Failed(f"an actor without the mandatory {left_out} was created (ErpKey {key!r})")


def _refused_results(exc: ConnectorReplyError) -> list[ActorResult] | None:
    return getattr(exc.response, "actor_results", None)


def check_bad_encoding(run: Run, actor_type: str) -> str:
    fields = run.fields_of(actor_type)
    bad = wrongly_encoded(fields.values())
    if bad is None:
        raise Skipped(f"{actor_type} has no writable typed field to send a wrong encoding to")
    meta, wrong = bad
    text = _plain_text_field(run, actor_type)
    created = run.primary_of(actor_type)
    before = read(run, actor_type, created.key)
    update = {text.field_key: changed_text(text, created.marker, 99), meta.field_key: wrong}
    results: list[ActorResult] | None
    try:
        reply = run.send(call.save_actors(run.guid, [_changed(before, update)]))
    except ConnectorReplyError as exc:
        _refusal(exc, "SaveActors")
        results = _refused_results(exc)
    else:
        results = reply.actor_results
        expect(results is not None, f"{meta.field_key}={wrong!r} was accepted (no error, no ActorResults)")
    if run.offers(Capability.PerActorResults) or results is not None:
        expect(results is not None and len(results) == 1, "the refusal carries no ActorResult for the actor")
        assert results is not None
        expect(results[0].failed, f"{meta.field_key}={wrong!r} was accepted (its ActorResult is Ok)")
        expect(bool(results[0].user_explanation), "the actor's refusal has no UserExplanation")
    after = read(run, actor_type, created.key)
    changed = [
        k for k in (text.field_key, meta.field_key) if after.field_values.get(k) != before.field_values.get(k)
    ]
    expect(not changed, f"the refused actor was changed anyway: {listing(changed)}")
    expect(after.last_modified == before.last_modified, "the refused actor's LastModified moved")
    return f"{meta.field_key}={wrong!r} refused; nothing changed"


# -- save --------------------------------------------------------------------------------------------


def check_save(run: Run, actor_type: str) -> str:
    text = _plain_text_field(run, actor_type)
    created = run.primary_of(actor_type)
    before = read(run, actor_type, created.key)
    new_value = changed_text(text, created.marker, 1)
    reply = run.send(call.save_actors(run.guid, [_changed(before, {text.field_key: new_value})]))
    saved = [a for a in reply.actors if a.erp_key == created.key]
    expect(len(saved) == 1, f"SaveActors returned {len(saved)} actors with ErpKey {created.key!r}, not 1")
    stamp = saved[0].last_modified
    expect(
        is_newer(stamp, before.last_modified),
        f"LastModified {stamp!r} after the save is not newer than {before.last_modified!r}",
    )
    run.saved_stamp[actor_type] = stamp
    after = read(run, actor_type, created.key)
    got = after.field_values.get(text.field_key)
    expect(got == new_value, f"{text.field_key} reads {got!r} after saving {new_value!r}")
    expect(
        compare(after.last_modified, stamp) >= 0,
        f"GetActors shows LastModified {after.last_modified!r}, older than the save's {stamp!r}",
    )
    return f"{text.field_key} saved; LastModified {before.last_modified!r} → {stamp!r}"


def _bad_update(fields: dict[str, FieldMetadata]) -> dict[str, str]:
    """A change the connector must refuse: a wrong encoding, else a field that does not exist."""
    bad = wrongly_encoded(fields.values())
    if bad is not None:
        return {bad[0].field_key: bad[1]}
    return {"NO_SUCH_FIELD_" + new_marker(): "x"}


def check_per_actor_results(run: Run, actor_type: str) -> str:
    run.require(Capability.PerActorResults)
    fields = run.fields_of(actor_type)
    text = _plain_text_field(run, actor_type)
    trio = [create(run, actor_type) for _ in range(3)]
    wanted = [changed_text(text, c.marker, 2) for c in trio]
    batch = [_changed(c.actor, {text.field_key: v}) for c, v in zip(trio, wanted, strict=True)]
    batch[1] = _changed(trio[1].actor, {text.field_key: wanted[1], **_bad_update(fields)})
    reply = run.send(call.save_actors(run.guid, batch))
    results = reply.actor_results
    expect(results is not None, "SaveActors answered without ActorResults")
    assert results is not None
    expect(len(results) == 3, f"{len(results)} ActorResults for 3 actors")
    expect([r.index for r in results] == [0, 1, 2], f"results out of order: {[r.index for r in results]}")
    outcome = ["ok" if not r.failed else "refused" for r in results]
    expect(outcome == ["ok", "refused", "ok"], f"outcomes {outcome}, expected ok, refused, ok")
    now = [read(run, actor_type, c.key).field_values.get(text.field_key) for c in trio]
    expect(now[0] == wanted[0] and now[2] == wanted[2], "the good actors of the batch were not saved")
    expect(now[1] == trio[1].written.get(text.field_key), "the refused actor was changed anyway")
    return "the middle actor refused, the other two saved, 3 results in order"


def check_create_actors(run: Run, actor_type: str) -> str:
    run.require(Capability.BatchCreate)
    run.require_connection()
    actors = [new_actor(run, actor_type)[0] for _ in range(BATCH_SIZE)]
    results = run.send(call.create_actors(run.guid, actors)).actor_results
    expect(len(results) == BATCH_SIZE, f"{len(results)} results for {BATCH_SIZE} actors")
    expect([r.index for r in results] == list(range(BATCH_SIZE)), "results are not in request order")
    refused = [f"#{r.index}: {r.user_explanation}" for r in results if r.failed]
    run.batch[actor_type] = [
        _expect_stamped(r.actor, actor_type, "CreateActors") for r in results if not r.failed
    ]
    expect(not refused, f"actors refused: {listing(refused, 2)}")
    keys = {a.erp_key for a in run.batch[actor_type]}
    expect(len(keys) == BATCH_SIZE, f"{BATCH_SIZE} actors got only {len(keys)} distinct ErpKeys")
    stamps = {a.last_modified for a in run.batch[actor_type]}
    shared = (
        f"they share LastModified {next(iter(stamps))!r}"
        if len(stamps) == 1
        else (f"{len(stamps)} distinct LastModified values")
    )
    return f"{BATCH_SIZE} created in one call; {shared}"


# -- encodings --------------------------------------------------------------------------------------


def _actor_problems(actor: ErpActor, fields: dict[str, FieldMetadata]) -> list[str]:
    where = f"{actor.erp_key or '?'}"
    problems: list[str] = []
    if not actor.erp_key:
        problems.append("an actor without ErpKey")
    if not actor.last_modified:
        problems.append(f"{where}: no LastModified")
    for key, value in actor.field_values.items():
        meta = fields.get(key)
        if meta is None:
            problems.append(f"{where}: undeclared field {key}")
            continue
        try:
            decode(value, meta.field_type)
        except ValueError_:
            problems.append(f"{where}.{key}={value!r} is not a {meta.field_type.value} value")
    return problems


def check_encodings(run: Run, actor_type: str) -> str:
    fields = run.fields_of(actor_type)
    actors: Sequence[ErpActor] = list(run.seen.get(actor_type, {}).values())
    if not actors:
        raise Skipped(f"no {actor_type} actor was returned by any call")
    problems = [p for a in actors for p in _actor_problems(a, fields)]
    expect(not problems, f"{len(problems)} bad values: {listing(problems, 3)}")
    values = sum(len(a.field_values) for a in actors)
    return f"{values} values of {len(actors)} actors decode for their declared types"
