"""Test values: what the checker writes into each field, and when a value read back is the same.

Every generated value is valid for its field's type, fits its MaxLength and, for text, carries the
actor's marker (a unique token) so that searches can find the actor again. Field keys and names that
look like e-mail, phone, web or postal-code fields get values of that shape, because a connector may
check them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from erpsync.protocol import FieldAccess, FieldMetadata, FieldType, ListItem
from erpsync.protocol.codec import decode, encode_bool, encode_datetime, encode_float, encode_int

__all__ = [
    "MARKER_LENGTH",
    "changed_text",
    "compare_values",
    "generate_values",
    "is_writable",
    "marker_field",
    "new_marker",
    "seconds_only",
    "wrongly_encoded",
]

MARKER_LENGTH = 10
_TYPED_FOR_BAD_VALUE = (FieldType.Integer, FieldType.Double, FieldType.Datetime, FieldType.Checkbox)


def new_marker() -> str:
    """A token no ERP holds yet: letters and digits only, so every search backend takes it."""
    return "cf" + secrets.token_hex(MARKER_LENGTH // 2 - 1)


def is_writable(meta: FieldMetadata) -> bool:
    return meta.access is not FieldAccess.ReadOnly and meta.field_type is not FieldType.Label


def _fits(meta: FieldMetadata, length: int) -> bool:
    return meta.max_length == 0 or meta.max_length >= length


def marker_field(fields: Iterable[FieldMetadata], searchable: Iterable[str]) -> FieldMetadata | None:
    """The text field the marker is pinned to in searches: searchable and plain text if possible."""
    room = [
        f
        for f in fields
        if f.field_type is FieldType.Text and is_writable(f) and _fits(f, MARKER_LENGTH + 12)
    ]
    plain = [f for f in room if _shape(f) is None]
    wanted = set(searchable)
    for group in (
        [f for f in plain if f.field_key in wanted],
        [f for f in room if f.field_key in wanted],
        plain,
    ):
        if group:
            # A name field is what people search for first.
            named = [f for f in group if "NAME" in f.field_key.upper()]
            return (named or group)[0]
    return room[0] if room else None


def _shape(meta: FieldMetadata) -> str | None:
    words = f"{meta.field_key} {meta.display_name}".lower()
    for shape, hints in _SHAPES:
        if any(hint in words for hint in hints):
            return shape
    return None


_SHAPES = (
    ("email", ("mail",)),
    ("url", ("url", "web", "site", "homepage")),
    ("phone", ("phone", "fax", "tel", "mobile")),
    ("zip", ("zip", "postal code", "postcode", "post code")),
)


_HIDING = ("inactive", "deleted", "archived", "hidden", "blocked", "disabled")


def _hides(meta: FieldMetadata) -> bool:
    words = f"{meta.field_key} {meta.display_name}".lower()
    return any(word in words for word in _HIDING)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _text(meta: FieldMetadata, marker: str, rng: random.Random) -> str:
    match _shape(meta):
        case "email":
            value = f"{marker}@example.com"
        case "url":
            value = f"https://{marker}.example.com"
        case "phone":
            value = "+47 " + _digits(rng, 8)
        case "zip":
            value = _digits(rng, 4)
        case _:
            value = f"{marker} {meta.display_name or meta.field_key}".strip()
    return value[: meta.max_length] if meta.max_length else value


def changed_text(meta: FieldMetadata, marker: str, round_: int) -> str:
    """A new value for a plain text field that still carries the marker."""
    value = f"{marker} saved {round_}"
    return value[: meta.max_length] if meta.max_length else value


def _datetime(rng: random.Random) -> datetime:
    # Microseconds set, so the read-back shows whether the connector keeps them.
    start = datetime(2021, 1, 1, tzinfo=UTC)
    return start + timedelta(days=rng.randrange(3000), seconds=rng.randrange(86400), microseconds=123457)


def _list_value(meta: FieldMetadata, lists: Mapping[str, list[ListItem]], rng: random.Random) -> str | None:
    items = lists.get(meta.list_name)
    if items:
        return rng.choice(items).key
    return meta.default_value or None


def generate_value(
    meta: FieldMetadata, marker: str, lists: Mapping[str, list[ListItem]], rng: random.Random
) -> str | None:
    """A valid encoded value for ``meta``; ``None`` when none can be made (a list we cannot read)."""
    match meta.field_type:
        case FieldType.Text:
            return _text(meta, marker, rng)
        case FieldType.Password:
            return ("pw-" + marker)[: meta.max_length or None]
        case FieldType.Integer:
            return encode_int(rng.randrange(1, 900))
        case FieldType.Double:
            return encode_float(rng.randrange(100, 90000) / 4)
        case FieldType.Checkbox:
            # Never tick "inactive" and the like: searches may hide such actors.
            return encode_bool(not _hides(meta) and rng.random() < 0.5)
        case FieldType.Datetime:
            return encode_datetime(_datetime(rng))
        case FieldType.List:
            return _list_value(meta, lists, rng)
    return None


def generate_values(
    fields: Iterable[FieldMetadata], marker: str, lists: Mapping[str, list[ListItem]], rng: random.Random
) -> dict[str, str]:
    """A value for every writable field."""
    values: dict[str, str] = {}
    for meta in fields:
        if is_writable(meta):
            value = generate_value(meta, marker, lists, rng)
            if value is not None:
                values[meta.field_key] = value
    return values


def wrongly_encoded(fields: Iterable[FieldMetadata]) -> tuple[FieldMetadata, str] | None:
    """A writable typed field and a value that is not in its encoding (``abc``)."""
    writable = [f for f in fields if is_writable(f)]
    for field_type in _TYPED_FOR_BAD_VALUE:
        for meta in writable:
            if meta.field_type is field_type:
                return meta, "abc"
    return None


def compare_values(meta: FieldMetadata, written: str, read: str) -> str | None:
    """``None`` when ``read`` is ``written`` after decoding, else what differs.

    Date-times may come back to the microsecond (what ``[DT:]`` promises) or to the second (what
    many ERPs store); doubles compare as floats; an empty checkbox counts as unchecked.
    """
    if meta.field_type in (FieldType.Text, FieldType.List, FieldType.Password):
        return None if written == read else f"wrote {written!r}, read {read!r}"
    try:
        sent, got = decode(written, meta.field_type), decode(read, meta.field_type)
    except ValueError as exc:
        return f"read {read!r}: {exc}"
    if meta.field_type is FieldType.Checkbox:
        sent, got = bool(sent), bool(got)
    if sent == got:
        return None
    if isinstance(sent, datetime) and isinstance(got, datetime) and sent.replace(microsecond=0) == got:
        return None
    return f"wrote {written!r}, read {read!r}"


def seconds_only(meta: FieldMetadata, written: str, read: str) -> bool:
    """Did a date-time come back without its fraction of a second?"""
    return (
        meta.field_type is FieldType.Datetime
        and written != read
        and compare_values(meta, written, read) is None
    )
