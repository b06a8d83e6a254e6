"""``/api/v1/lists``: the CRM's lists and their items; administrators edit the items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from erpsync.crm import lists
from erpsync.crm.catalogue import ListName, list_label
from erpsync.crm.db import begin_write
from erpsync.crm.texts import _
from erpsync.crm.values import INT32_MAX

from .dependencies import AdminUser, CurrentUser, DbSession
from .errors import NotFound, error_responses
from .schemas import ListItemCreate, ListItemReply, ListItemUpdate, ListReply

router = APIRouter(prefix="/lists", tags=["lists"], responses=error_responses(401, 422))

ItemId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The list item's id.")]


@router.get("", response_model=list[ListReply])
def list_lists(user: CurrentUser) -> list[ListReply]:
    """Every list of the CRM."""
    return [ListReply(name=name, label=list_label(name)) for name in ListName]


@router.get("/{list_name}/items", response_model=list[ListItemReply])
def list_items(
    list_name: ListName,
    user: CurrentUser,
    session: DbSession,
    include_deleted: Annotated[bool, Query(description="Also the items marked deleted.")] = False,
) -> list[ListItemReply]:
    """The items of a list in display order."""
    return [ListItemReply.of(item) for item in lists.list_items(session, list_name, include_deleted)]


@router.post(
    "/{list_name}/items",
    response_model=ListItemReply,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def add_item(list_name: ListName, body: ListItemCreate, user: AdminUser, session: DbSession) -> ListItemReply:
    begin_write(session)
    return ListItemReply.of(lists.add_list_item(session, list_name, body.name, body.rank))


@router.patch(
    "/{list_name}/items/{item_id}", response_model=ListItemReply, responses=error_responses(403, 404, 409)
)
def update_item(
    list_name: ListName, item_id: ItemId, body: ListItemUpdate, user: AdminUser, session: DbSession
) -> ListItemReply:
    """Rename an item and/or move it."""
    begin_write(session)
    item = _item_of(session, list_name, item_id)
    if body.name is not None:
        item = lists.rename_list_item(session, item_id, body.name)
    if body.rank is not None:
        item = lists.set_list_item_rank(session, item_id, body.rank)
    return ListItemReply.of(item)


@router.delete(
    "/{list_name}/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(403, 404, 409),
)
def delete_item(list_name: ListName, item_id: ItemId, user: AdminUser, session: DbSession) -> None:
    """Mark an item deleted: records keep it, but it can no longer be chosen."""
    begin_write(session)
    _item_of(session, list_name, item_id)
    lists.delete_list_item(session, item_id)


def _item_of(session: DbSession, list_name: ListName, item_id: int) -> lists.ListItemRecord:
    item = lists.get_list_item(session, item_id)
    if item is None or item.list_name != list_name:
        raise NotFound(_("The %(list)s list has no item with id %(id)s.", list=list_name.value, id=item_id))
    return item
