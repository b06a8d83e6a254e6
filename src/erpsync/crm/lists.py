"""The CRM's lists and their items (country, category, business, project status and type).

Items are soft-deleted: a deleted item stays on the records that have it and in ERP list mappings,
but can no longer be chosen.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .catalogue import ListName, list_source_label
from .errors import CrmConflict, CrmValidationError, RecordNotFound
from .models import CrmList, ListItem
from .texts import _
from .values import is_record_id

__all__ = [
    "ListItemRecord",
    "add_list_item",
    "delete_list_item",
    "ensure_list",
    "get_list_item",
    "list_items",
    "list_items_by_id",
    "rename_list_item",
    "set_list_item_rank",
]

MAX_ITEM_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ListItemRecord:
    id: int
    list_name: ListName
    name: str
    rank: int
    deleted: bool


def ensure_list(session: Session, list_name: ListName | str) -> CrmList:
    """The row of ``list_name``, created on first use (the set of lists is fixed by the catalogue)."""
    name = _list_name(list_name)
    crm_list = session.scalar(select(CrmList).where(CrmList.name == name.value))
    if crm_list is None:
        crm_list = CrmList(name=name.value, label=list_source_label(name))
        session.add(crm_list)
        session.flush()
    return crm_list


def list_items(
    session: Session, list_name: ListName | str, include_deleted: bool = False
) -> list[ListItemRecord]:
    """The items of a list in display order (rank, then name)."""
    name = _list_name(list_name)
    query = (
        select(ListItem)
        .join(CrmList, ListItem.list_id == CrmList.id)
        .where(CrmList.name == name.value)
        .order_by(ListItem.rank, ListItem.name, ListItem.id)
    )
    if not include_deleted:
        query = query.where(ListItem.deleted.is_(False))
    return [_record(item, name) for item in session.scalars(query)]


def get_list_item(session: Session, item_id: int) -> ListItemRecord | None:
    found = list_items_by_id(session, [item_id]) if is_record_id(item_id) else {}
    return found.get(item_id)


def list_items_by_id(session: Session, item_ids: Collection[int]) -> dict[int, ListItemRecord]:
    """The items with these ids, deleted ones included, whatever their list."""
    wanted = sorted({each for each in item_ids if is_record_id(each)})
    found: dict[int, ListItemRecord] = {}
    for start in range(0, len(wanted), 10_000):
        rows = session.execute(
            select(ListItem, CrmList.name)
            .join(CrmList, ListItem.list_id == CrmList.id)
            .where(ListItem.id.in_(wanted[start : start + 10_000]))
        )
        for item, name in rows:
            found[item.id] = _record(item, ListName(name))
    return found


def add_list_item(
    session: Session, list_name: ListName | str, name: str, rank: int | None = None
) -> ListItemRecord:
    """Add an item; without a rank it goes last."""
    crm_list = ensure_list(session, list_name)
    clean = _item_name(session, crm_list.id, name)
    if rank is None:
        top = session.scalar(select(func.max(ListItem.rank)).where(ListItem.list_id == crm_list.id))
        # Last, or as last as a rank can be: an item already at the top rank shares it.
        rank = 0 if top is None else min(top + 1, 2**31 - 1)
    _check_rank(rank)
    item = ListItem(list_id=crm_list.id, name=clean, rank=rank, deleted=False)
    session.add(item)
    session.flush()
    return _record(item, ListName(crm_list.name))


def rename_list_item(session: Session, item_id: int, name: str) -> ListItemRecord:
    item, list_name = _item(session, item_id)
    item.name = _item_name(session, item.list_id, name, renaming=item.id)
    session.flush()
    return _record(item, list_name)


def set_list_item_rank(session: Session, item_id: int, rank: int) -> ListItemRecord:
    _check_rank(rank)
    item, list_name = _item(session, item_id)
    item.rank = rank
    session.flush()
    return _record(item, list_name)


def delete_list_item(session: Session, item_id: int) -> ListItemRecord:
    """Mark an item deleted; records keep it."""
    item, list_name = _item(session, item_id)
    item.deleted = True
    session.flush()
    return _record(item, list_name)


def _list_name(list_name: ListName | str) -> ListName:
    try:
        return ListName(list_name)
    except ValueError:
        raise CrmValidationError({"list": _("there is no list %(name)r", name=list_name)}) from None


def _item(session: Session, item_id: int) -> tuple[ListItem, ListName]:
    row = (
        session.execute(
            select(ListItem, CrmList.name)
            .join(CrmList, ListItem.list_id == CrmList.id)
            .where(ListItem.id == item_id)
        ).first()
        if is_record_id(item_id)
        else None
    )
    if row is None:
        raise RecordNotFound("list item", item_id)
    return row[0], ListName(row[1])


def _item_name(session: Session, list_id: int, name: str, renaming: int | None = None) -> str:
    """A valid, stripped item name, unique (case-insensitively) among the list's live items: list
    mapping shows items by name, so two alike would be indistinguishable."""
    if not isinstance(name, str) or not name.strip():
        raise CrmValidationError({"name": _("is required")})
    clean = name.strip()
    if len(clean) > MAX_ITEM_NAME_LENGTH:
        raise CrmValidationError({"name": _("is longer than %(max)s characters", max=MAX_ITEM_NAME_LENGTH)})
    if "\x00" in clean:
        raise CrmValidationError({"name": _("must not contain NUL characters")})
    try:
        clean.encode("utf-8")
    except UnicodeEncodeError:
        raise CrmValidationError({"name": _("is not valid Unicode text")}) from None
    query = select(ListItem.id).where(
        ListItem.list_id == list_id,
        ListItem.deleted.is_(False),
        or_(ListItem.name == clean, func.lower(ListItem.name) == clean.lower()),
    )
    if renaming is not None:
        query = query.where(ListItem.id != renaming)
    if session.scalar(query.limit(1)) is not None:
        raise CrmConflict({"name": _("the list already has an item %(name)r", name=clean)})
    return clean


def _check_rank(rank: int) -> None:
    if isinstance(rank, bool) or not isinstance(rank, int) or not -(2**31) <= rank < 2**31:
        raise CrmValidationError({"rank": _("must be a 32-bit whole number")})


def _record(item: ListItem, list_name: ListName) -> ListItemRecord:
    return ListItemRecord(
        id=item.id, list_name=list_name, name=item.name, rank=item.rank, deleted=item.deleted
    )
