"""The change feed: which actors changed on or after a timestamp, in (LastModified, id) order.

A party's ``LastModified`` is the newest ``last_modified_at`` of the party and of its contact
mechanisms, addresses and identifiers. For a bound ``B``, every actor whose LastModified is at least
``B`` has the party itself or one of those children changed at or after ``B`` — and the newest of
those rows *is* its LastModified. So one search per model for rows changed since ``B`` (with just
the party id and the date) gives the exact LastModified of every actor of the feed; nothing older
is read.

Pages are keyset positions ``(LastModified, id)``: a page ends after a position and the next one
starts strictly after it, so actors sharing one LastModified are split across pages without being
lost or repeated. The page token is that position, base64-encoded JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from erpsync.protocol import ActorType
from erpsync.sdk.errors import InvalidValue

from .parties import CHILD_MODELS
from .session import TrytonSession
from .values import format_last_modified, from_tryton, parse_last_modified, to_tryton

__all__ = ["Position", "changed_since", "make_token", "read_token", "role_domain"]

Position = tuple[str, int]


def make_token(position: Position) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def read_token(token: str) -> Position:
    """The position a token names; ``InvalidValue`` for anything we did not hand out."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
        stamp, erp_id = position
        parse_last_modified(stamp)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidValue("The page token is not one the Tryton connector handed out.") from None
    if not isinstance(erp_id, int) or isinstance(erp_id, bool):
        raise InvalidValue("The page token is not one the Tryton connector handed out.")
    return stamp, erp_id


def role_domain(session: TrytonSession, actor_type: ActorType, prefix: str = "") -> list[Any]:
    """The domain of the parties that are actors of ``actor_type`` (paths under ``prefix``)."""
    match actor_type:
        case ActorType.Customer:
            return [(f"{prefix}categories", "in", [session.customer_category])]
        case ActorType.Supplier:
            return [(f"{prefix}categories", "in", [session.supplier_category])]
        case ActorType.Person:
            return [(f"{prefix}relations.type", "=", session.contact_relation)]
    return [("type", "=", "project"), ("company", "=", session.company_id)]


def _stamps(session: TrytonSession, actor_type: ActorType, bound: str) -> dict[int, str]:
    """Actor id → LastModified for every actor changed at or after ``bound`` ("" = all)."""
    since: list[Any] = []
    if bound:
        since = [("last_modified_at", ">=", to_tryton(parse_last_modified(bound)))]
    sources: list[tuple[str, list[Any], str]] = []
    if actor_type is ActorType.Project:
        sources.append(("project.work", [*role_domain(session, actor_type), *since], "id"))
    else:
        sources.append(("party.party", [*role_domain(session, actor_type), *since], "id"))
        for _, model in CHILD_MODELS:
            sources.append((model, [*role_domain(session, actor_type, "party."), *since], "party"))
    stamps: dict[int, str] = {}
    for model, domain, owner in sources:
        rows = session.call(
            model, "search_read", domain, 0, None, None, [owner, "last_modified_at"], session.context
        )
        for row in rows:
            moment = from_tryton(row.get("last_modified_at"))
            if row.get(owner) is None or moment is None:
                continue
            key, stamp = int(row[owner]), format_last_modified(moment)
            if stamp > stamps.get(key, ""):
                stamps[key] = stamp
    return stamps


def changed_since(
    session: TrytonSession, actor_type: ActorType, since: str, after: Position | None, size: int
) -> tuple[list[Position], bool]:
    """Positions of the actors changed on or after ``since`` (our format), after ``after``, at most
    ``size`` of them (0 = all), in order; and whether more follow."""
    bound = max(since, after[0]) if after else since
    stamps = _stamps(session, actor_type, bound)
    positions = sorted((stamp, key) for key, stamp in stamps.items() if stamp >= since)
    if after is not None:
        positions = [p for p in positions if p > after]
    if size and len(positions) > size:
        return positions[:size], True
    return positions, False
