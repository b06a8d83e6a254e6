"""One run of one operation against one connector, and the checks every operation shares.

An :class:`OperationRun` fetches the connection's actor types at most once, refuses an actor type
the connection does not support before the connector sees it, and checks what the connector returns
(every actor keyed, stamped and of a supported type) so that a connector bug never reaches the hub
as data: :class:`ReplyInvalid` becomes an ``InternalError`` reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from erpsync.protocol import ActorResult, ActorType, ErpActor, Operation

from .actor_type_cache import actor_type_cache
from .connector import ErpConnector
from .errors import UnknownActorType

__all__ = [
    "ANY_ACTOR_TYPE",
    "OperationRun",
    "ReplyInvalid",
    "in_request_order",
    "refused_actor",
    "saved_actor",
]

#: What a connector may announce when it cannot list its actor types itself.
ANY_ACTOR_TYPE = frozenset(t.value for t in ActorType if t is not ActorType.Unknown)


class ReplyInvalid(Exception):
    """The connector returned something the contract forbids; the hub gets an InternalError."""


class OperationRun:
    """One operation run against one connector; fetches the connection's actor types at most once."""

    def __init__(self, connector: ErpConnector, operation: Operation) -> None:
        self.connector = connector
        self.operation = operation
        self._actor_types: dict[str, frozenset[str]] = {}

    def actor_types(self, connection_guid: str) -> frozenset[str]:
        """Actor types the connection supports; ``Unknown`` never counts as one."""
        if connection_guid not in self._actor_types:
            self._actor_types[connection_guid] = actor_type_cache.get(
                self.connector, connection_guid, lambda: self._announced(connection_guid)
            )
        return self._actor_types[connection_guid]

    def _announced(self, connection_guid: str) -> frozenset[str]:
        try:
            announced = frozenset(self.connector.get_supported_actor_types(connection_guid))
        except NotImplementedError:
            # The connector cannot say, so accept what the contract allows at all.
            announced = ANY_ACTOR_TYPE
        return announced - {ActorType.Unknown.value}

    def require_actor_type(self, connection_guid: str, actor_type: str) -> None:
        supported = self.actor_types(connection_guid)
        if actor_type not in supported:
            raise UnknownActorType(
                f"The actor type {actor_type!r} is not supported by this connection.",
                "supported actor types: " + (", ".join(sorted(supported)) or "none"),
            )

    def check_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> None:
        """Every actor returned must be keyed, stamped and of a type the connection supports."""
        supported = self.actor_types(connection_guid)
        for position, actor in enumerate(actors, start=1):
            if not isinstance(actor, ErpActor):
                raise ReplyInvalid(f"actor #{position} is a {type(actor).__name__}, not an ErpActor")
            if not actor.erp_key:
                raise ReplyInvalid(f"actor #{position} ({actor.actor_type}) has no ErpKey")
            if not actor.last_modified:
                raise ReplyInvalid(f"actor {actor.actor_type} {actor.erp_key!r} has no LastModified")
            if actor.actor_type not in supported:
                raise ReplyInvalid(
                    f"actor {actor.erp_key!r} has the actor type {actor.actor_type!r}, "
                    "which the connection does not support"
                )

    def run_batch(
        self,
        connection_guid: str,
        actors: Sequence[ErpActor],
        call: Callable[[list[ErpActor]], list[ActorResult]],
    ) -> list[ActorResult]:
        """Refuse the actors of unsupported types one by one and pass the others on, so that one bad
        actor never fails the batch; the results come back in request order, indexed by request."""
        supported = self.actor_types(connection_guid)
        refused = [
            refused_actor(index, actor.actor_type)
            for index, actor in enumerate(actors)
            if actor.actor_type not in supported
        ]
        refused_at = {r.index for r in refused}
        accepted = [index for index in range(len(actors)) if index not in refused_at]
        results: list[ActorResult] = []
        if accepted or not actors:
            results = in_request_order(call([actors[i] for i in accepted]), len(accepted))
        passed = [r.model_copy(update={"index": index}) for index, r in zip(accepted, results, strict=True)]
        merged = sorted(refused + passed, key=lambda r: r.index)
        self.check_actors(connection_guid, [saved_actor(r) for r in merged if not r.failed])
        return merged


def refused_actor(index: int, actor_type: str) -> ActorResult:
    failure = UnknownActorType(f"The actor type {actor_type!r} is not supported by this connection.")
    return ActorResult.error(
        failure.user_explanation, "", failure.error_code, failure.failure_kind, index=index
    )


def in_request_order(results: Sequence[ActorResult], expected: int) -> list[ActorResult]:
    """One result per actor sent, ordered by ``Index``; results all left at index 0 count by position."""
    results = list(results)
    if len(results) != expected:
        raise ReplyInvalid(f"{len(results)} results were returned for {expected} actors")
    for result in results:
        if not isinstance(result, ActorResult):
            raise ReplyInvalid(f"a result is a {type(result).__name__}, not an ActorResult")
    indexes = sorted(r.index for r in results)
    if indexes == list(range(expected)):
        return sorted(results, key=lambda r: r.index)
    if all(i == 0 for i in indexes):
        return [r.model_copy(update={"index": i}) for i, r in enumerate(results)]
    raise ReplyInvalid(f"the results' indexes {indexes} do not match the {expected} actors sent")


def saved_actor(result: ActorResult) -> ErpActor:
    if result.actor is None:
        raise ReplyInvalid(f"the result for actor #{result.index + 1} is ok but carries no actor")
    return result.actor
