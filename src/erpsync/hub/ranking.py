"""Rank fields (reference §2.8): the order of an actor type's fields in the ERP tab and in search
results. Moving a field keeps the ranks of its actor type a dense 0..n-1 sequence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from erpsync.crm.texts import _

from .errors import NotFound
from .lookups import actor_type_row, connection_row, field_rows
from .service import Hub
from .transactions import writing

__all__ = ["RankedField", "move_erp_field", "moved"]


def moved(order: Sequence[int], item: int, steps: int) -> list[int]:
    """``order`` with ``item`` moved ``steps`` places later (negative: earlier), stopping at the ends."""
    result = [each for each in order if each != item]
    position = order.index(item) + steps
    result.insert(min(max(position, 0), len(result)), item)
    return result


@dataclass(frozen=True, slots=True)
class RankedField:
    erp_field_id: int
    erp_field_key: str
    display_name: str
    rank: int


def move_erp_field(
    hub: Hub, erp_field_id: int, direction: int, connection_id: int, erp_actor_type: str
) -> list[RankedField]:
    """``MoveErpFieldItem``: positive ``direction`` moves the field down (later), negative up. Returns
    the actor type's fields in their new order."""
    with writing(hub) as session:
        connection = connection_row(session, connection_id)
        mapping = actor_type_row(session, connection, erp_actor_type)
        rows = field_rows(session, mapping.id)
        by_id = {row.id: row for row in rows}
        if erp_field_id not in by_id:
            raise NotFound(
                _(
                    "%(type)s of %(connection)r has no ERP field with id %(id)s.",
                    type=erp_actor_type,
                    connection=connection.display_name,
                    id=erp_field_id,
                )
            )
        order = moved([row.id for row in rows], erp_field_id, direction)
        for rank, field_id in enumerate(order):
            by_id[field_id].rank = rank
        session.flush()
        return [RankedField(i, by_id[i].erp_field_key, by_id[i].display_name, by_id[i].rank) for i in order]
