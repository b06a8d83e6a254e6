"""``/api/v1/users`` and ``/api/v1/groups``: administrators manage who may log in and the groups
that ERP connections are scoped to. Password hashes are never part of a reply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from erpsync.crm import tokens, users
from erpsync.crm.db import begin_write
from erpsync.crm.errors import RecordNotFound
from erpsync.crm.texts import _
from erpsync.crm.values import INT32_MAX

from .dependencies import AdminUser, DbSession
from .errors import Conflict, error_responses
from .schemas import GroupCreate, GroupReply, GroupUpdate, UserCreate, UserPage, UserReply, UserUpdate

users_router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(401, 403, 422))
groups_router = APIRouter(prefix="/groups", tags=["groups"], responses=error_responses(401, 403, 422))

UserId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The user's id.")]
GroupId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The group's id.")]


@users_router.get("", response_model=UserPage)
def list_users(
    admin: AdminUser,
    session: DbSession,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UserPage:
    found, total = users.list_users(session, offset=offset, limit=limit)
    return UserPage(items=[UserReply.of(each) for each in found], total=total, offset=offset, limit=limit)


@users_router.post(
    "", response_model=UserReply, status_code=status.HTTP_201_CREATED, responses=error_responses(409)
)
def create_user(body: UserCreate, admin: AdminUser, session: DbSession) -> UserReply:
    begin_write(session)
    user = users.create_user(
        session,
        body.username,
        body.password,
        display_name=body.display_name,
        is_admin=body.is_admin,
        language=body.language,
    )
    return UserReply.of(user)


@users_router.get("/{user_id}", response_model=UserReply, responses=error_responses(404))
def get_user(user_id: UserId, admin: AdminUser, session: DbSession) -> UserReply:
    user = users.get_user(session, user_id)
    if user is None:
        raise RecordNotFound("user", user_id)
    return UserReply.of(user)


@users_router.patch("/{user_id}", response_model=UserReply, responses=error_responses(404, 409))
def update_user(user_id: UserId, body: UserUpdate, admin: AdminUser, session: DbSession) -> UserReply:
    """Change a user; a new password or deactivation also revokes the user's tokens. Administrators
    cannot take away their own role or deactivate themselves, so that someone is always left."""
    if user_id == admin.id and (body.is_admin is False or body.is_active is False):
        raise Conflict(_("You cannot remove your own administrator role or deactivate yourself."))
    begin_write(session)
    user = users.update_user(
        session,
        user_id,
        display_name=body.display_name,
        is_admin=body.is_admin,
        is_active=body.is_active,
        language=body.language,
    )
    if body.password is not None:
        users.set_password(session, user_id, body.password)
    if body.password is not None or body.is_active is False:
        tokens.revoke_user_tokens(session, user_id)
    return UserReply.of(user)


@groups_router.get("", response_model=list[GroupReply])
def list_groups(admin: AdminUser, session: DbSession) -> list[GroupReply]:
    return [GroupReply.of(each) for each in users.list_groups(session)]


@groups_router.post(
    "", response_model=GroupReply, status_code=status.HTTP_201_CREATED, responses=error_responses(409)
)
def create_group(body: GroupCreate, admin: AdminUser, session: DbSession) -> GroupReply:
    begin_write(session)
    return GroupReply.of(users.create_group(session, body.name, body.description))


@groups_router.get("/{group_id}", response_model=GroupReply, responses=error_responses(404))
def get_group(group_id: GroupId, admin: AdminUser, session: DbSession) -> GroupReply:
    group = users.get_group(session, group_id)
    if group is None:
        raise RecordNotFound("group", group_id)
    return GroupReply.of(group)


@groups_router.patch("/{group_id}", response_model=GroupReply, responses=error_responses(404, 409))
def update_group(group_id: GroupId, body: GroupUpdate, admin: AdminUser, session: DbSession) -> GroupReply:
    begin_write(session)
    description = None
    if "description" in body.model_fields_set:
        description = body.description or ""  # null clears it, as "" does
    return GroupReply.of(users.update_group(session, group_id, name=body.name, description=description))


@groups_router.delete(
    "/{group_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409),
)
def delete_group(group_id: GroupId, admin: AdminUser, session: DbSession) -> None:
    begin_write(session)
    users.delete_group(session, group_id)


@groups_router.put(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409),
)
def add_member(group_id: GroupId, user_id: UserId, admin: AdminUser, session: DbSession) -> None:
    """Put a user in the group (doing it twice is fine)."""
    begin_write(session)
    users.add_member(session, group_id, user_id)


@groups_router.delete(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409),
)
def remove_member(group_id: GroupId, user_id: UserId, admin: AdminUser, session: DbSession) -> None:
    begin_write(session)
    users.remove_member(session, group_id, user_id)
