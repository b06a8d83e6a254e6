"""What a connector class really implements, worked out from which methods it overrides.

``GetCapabilities`` is answered by the host from the class alone, so it never depends on a
connection and never runs connector code. A method counts as implemented when the subclass
overrides it, or when the base class's default builds on a method that is overridden (the default
``save_actors`` calls ``save_actor`` once per actor, and so on).
"""

from __future__ import annotations

from erpsync.protocol import OPERATIONS, PROTOCOL_VERSION, CapabilitiesResponse, Capability

from .connector import ErpConnector

__all__ = ["capabilities_of", "implemented_operations", "implements"]

#: Base-class defaults that work as soon as the method they build on is implemented.
_BUILDS_ON: dict[str, str] = {
    "save_actors": "save_actor",
    "create_actors": "create_actor",
    "get_list_items": "get_list",
    "test_connection": "test_config_data",
    # The default SaveConnection asks get_config_data which values are passwords to encrypt.
    "save_connection": "get_config_data",
}

#: Base-class defaults that are complete on their own.
_WORKING_DEFAULTS = frozenset({"delete_connection", "get_searchable_fields"})

#: Answered by the host itself, for every connector.
_HOST_ANSWERED = frozenset({"get_capabilities"})


def _overrides(cls: type[ErpConnector], method: str) -> bool:
    return getattr(cls, method, None) is not getattr(ErpConnector, method, None)


def implements(cls: type[ErpConnector], method: str) -> bool:
    """Does ``cls`` implement the operation method ``method`` (snake_case)?"""
    if method in _HOST_ANSWERED or method in _WORKING_DEFAULTS or _overrides(cls, method):
        return True
    base = _BUILDS_ON.get(method)
    return base is not None and implements(cls, base)


def implemented_operations(cls: type[ErpConnector]) -> list[str]:
    """Wire names of the operations ``cls`` implements, in the order of the operation table."""
    return [op.name for op in OPERATIONS.values() if implements(cls, op.method)]


def capabilities_of(cls: type[ErpConnector]) -> CapabilitiesResponse:
    """The ``GetCapabilities`` reply for a connector class."""
    operations = implemented_operations(cls)
    offered: list[str] = []
    if cls.max_page_size > 0 and "GetActorsByTimestamp" in operations:
        offered.append(Capability.PagedTimestampFeed)
    if "SaveActors" in operations:
        offered.append(Capability.PerActorResults)
    if "CreateActors" in operations:
        offered.append(Capability.BatchCreate)
    if "GetDeletedActors" in operations:
        offered.append(Capability.DeleteFeed)
    return CapabilitiesResponse.ok(
        protocol_version=PROTOCOL_VERSION,
        max_page_size=cls.max_page_size,
        operations=operations,
        capabilities=offered,
    )
