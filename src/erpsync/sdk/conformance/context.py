"""State shared by the checks of one run, and the small vocabulary they fail and skip with.

A check is a function returning the detail of a passed row; it raises :class:`Failed` or
:class:`Skipped` (or anything else, which the runner reports as a failure with the exception text).
What one check learns (the config, the fields of an actor type, the actor it created) is kept on
:class:`Run` for the checks after it; a check whose input is missing skips with the reason.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from erpsync.protocol import (
    ActorArrayResponse,
    ActorResponse,
    ActorResultArrayResponse,
    ActorType,
    Capability,
    ConnectorClient,
    ErpActor,
    FieldMetadata,
    ListItem,
    PluginResponse,
)
from erpsync.protocol.calls import Call

__all__ = [
    "Created",
    "Failed",
    "Run",
    "Skipped",
    "expect",
    "listing",
]

R = TypeVar("R", bound=PluginResponse)

#: Parent actor types a Person is created under, in order of preference.
PARENT_TYPES = (ActorType.Customer, ActorType.Supplier, ActorType.Partner)


class Failed(Exception):
    """The check found a breach of the contract; the message is the row's detail."""


class Skipped(Exception):
    """The check cannot run here; the message says why."""


def expect(condition: bool, detail: str) -> None:
    if not condition:
        raise Failed(detail)


def listing(items: Iterable[object], limit: int = 4) -> str:
    """``a, b, c and 7 more``: keeps details short however much went wrong."""
    shown = [str(i) for i in items]
    head = ", ".join(shown[:limit])
    return head + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


@dataclass(slots=True)
class Created:
    """An actor this run created: the connector's reply and the values written."""

    actor: ErpActor
    written: dict[str, str]
    marker: str

    @property
    def key(self) -> str:
        return self.actor.erp_key


@dataclass
class Run:
    """Everything one run of the checks shares."""

    client: ConnectorClient
    overrides: dict[str, str]
    guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: ``None`` when the connector does not answer GetCapabilities (a plain SuperOffice-style one).
    capabilities: frozenset[str] | None = None
    max_page_size: int = 0
    config_fields: list[FieldMetadata] | None = None
    config: dict[str, str] = field(default_factory=dict)
    #: SaveConnection was sent (the run deletes the connection at the end even if the save failed).
    connection_sent: bool = False
    connection_saved: bool = False
    connection_deleted: bool = False
    actor_types: list[str] = field(default_factory=list)
    fields: dict[str, dict[str, FieldMetadata]] = field(default_factory=dict)
    searchable: dict[str, list[str]] = field(default_factory=dict)
    lists: dict[str, list[ListItem]] = field(default_factory=dict)
    #: The actor created per type that the read, save and search checks work on.
    primary: dict[str, Created] = field(default_factory=dict)
    #: The primary actor's LastModified after the SaveActors check.
    saved_stamp: dict[str, str] = field(default_factory=dict)
    #: Two actors created one after the other, per type (the timestamp checks).
    pair: dict[str, tuple[Created, Created]] = field(default_factory=dict)
    #: Actors created by one CreateActors call, per type.
    batch: dict[str, list[ErpActor]] = field(default_factory=dict)
    #: The primary actor as last read back, per type (the search checks compare against it).
    snapshots: dict[str, ErpActor] = field(default_factory=dict)
    #: Every actor any reply carried, per type and ErpKey (the encodings check reads them all).
    seen: dict[str, dict[str, ErpActor]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        # Seeded by the GUID: a failing run can be replayed value for value.
        self.rng.seed(self.guid)
        # Until GetConfigData says more, the config is what the user gave.
        self.config = dict(self.overrides)

    # -- talking to the connector ------------------------------------------------------------

    def send(self, c: Call[R]) -> R:
        reply = self.client.send(c)
        self._remember(reply)
        return reply

    def _remember(self, reply: PluginResponse) -> None:
        actors: list[ErpActor] = []
        if isinstance(reply, ActorArrayResponse):
            actors = list(reply.actors)
        elif isinstance(reply, ActorResponse) and reply.actor is not None:
            actors = [reply.actor]
        elif isinstance(reply, ActorResultArrayResponse):
            actors = [r.actor for r in reply.actor_results if r.actor is not None]
        for actor in actors:
            self.seen.setdefault(actor.actor_type, {})[actor.erp_key] = actor

    # -- what earlier checks learnt ------------------------------------------------------------

    def offers(self, capability: Capability) -> bool:
        return self.capabilities is not None and capability in self.capabilities

    def require(self, *capabilities: Capability) -> None:
        if self.capabilities is None:
            raise Skipped("GetCapabilities is not offered: a plain SuperOffice-style connector")
        missing = [c.value for c in capabilities if c not in self.capabilities]
        if missing:
            raise Skipped("the connector does not offer " + " and ".join(missing))

    def require_connection(self) -> None:
        if not self.connection_saved:
            raise Skipped("needs the saved connection (SaveConnection failed)")

    def fields_of(self, actor_type: str) -> dict[str, FieldMetadata]:
        fields = self.fields.get(actor_type)
        if fields is None:
            raise Skipped(f"needs the fields of {actor_type} (GetSupportedActorTypeFields failed)")
        return fields

    def primary_of(self, actor_type: str) -> Created:
        created = self.primary.get(actor_type)
        if created is None:
            raise Skipped(f"needs the {actor_type} created by CreateActor[{actor_type}]")
        return created

    def parent_type(self) -> str | None:
        """The actor type persons are created under: Customer, else Supplier, else Partner."""
        return next((t.value for t in PARENT_TYPES if t.value in self.actor_types), None)

    def parent_of(self, actor_type: str) -> tuple[str, str]:
        """``(ParentActorType, ParentErpKey)`` for a new actor of ``actor_type``; empty if it has none."""
        parent_type = self.parent_type()
        if actor_type != ActorType.Person or parent_type is None:
            return "", ""
        return parent_type, self.primary_of(parent_type).key

    def ordered_types(self) -> Sequence[str]:
        """Supported actor types with Person last, so its parent exists before it is created."""
        return sorted(self.actor_types, key=lambda t: t == ActorType.Person)
