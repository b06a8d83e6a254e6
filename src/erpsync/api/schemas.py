"""Request and reply models of the API other than CRM records (see ``record_schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from erpsync.crm.catalogue import ListName
from erpsync.crm.lists import ListItemRecord
from erpsync.crm.texts import _
from erpsync.crm.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, GroupRecord, UserRecord

__all__ = [
    "NO_NUL",
    "GroupCreate",
    "GroupReply",
    "GroupUpdate",
    "ListItemCreate",
    "ListItemReply",
    "ListItemUpdate",
    "ListReply",
    "TokenReply",
    "TokenRequest",
    "UserCreate",
    "UserPage",
    "UserReply",
    "UserUpdate",
    "text",
    "whole_number",
]

_INT32_MAX = 2**31 - 1
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
Username = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")]
Language = Annotated[
    str,
    Field(
        pattern=r"^([a-z]{2,3}(-[A-Za-z0-9]{2,4})?)?$",
        description="A language code (en, da, nb-NO); empty: the browser's language applies.",
    ),
]


def _whole_number(value: Any) -> Any:
    """JSON's idea of an integer: ``5`` and ``5.0``, but not ``"5"``, ``5.5`` or ``true``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("must be a whole number"))
    return value


def whole_number(minimum: int, maximum: int) -> Any:
    """An integer type between ``minimum`` and ``maximum`` (the bounds show in the OpenAPI document)."""
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_whole_number)]


Rank = Annotated[int, Field(ge=-(2**31), le=_INT32_MAX), BeforeValidator(_whole_number)]
# Text may hold anything but NUL, which neither database can store.
NO_NUL = "^[^\\x00]*$"


# A name: something other than white space (which is stripped), and no NUL. The characters Python
# strips beside JSON Schema's \s (the separators \x1c-\x1f and NEL) do not count either.
NAME = "^[^\\x00]*[^\\s\\x00\\x1c-\\x1f\\x85][^\\x00]*$"


def text(min_length: int | None = None, max_length: int | None = None) -> Any:
    return Field(min_length=min_length, max_length=max_length, pattern=NO_NUL)


def name_text(max_length: int) -> Any:
    return Field(min_length=1, max_length=max_length, pattern=NAME)


Flag = Annotated[bool, Field(strict=True)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- auth ------------------------------------------------------------------------------------------


class TokenRequest(_Request):
    username: Annotated[str, text(max_length=100)]
    password: Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]


class TokenReply(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the token scheme, not a secret
    expires_at: datetime


# --- users and groups ------------------------------------------------------------------------------


class UserReply(BaseModel):
    id: int
    username: str
    display_name: str
    is_admin: bool
    is_active: bool
    language: str

    @classmethod
    def of(cls, user: UserRecord) -> UserReply:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            is_admin=user.is_admin,
            is_active=user.is_active,
            language=user.language,
        )


class UserPage(BaseModel):
    items: list[UserReply]
    total: int
    offset: int
    limit: int


class UserCreate(_Request):
    username: Username
    password: Password
    display_name: Annotated[str | None, text(max_length=200)] = None
    is_admin: Flag = False
    language: Language = ""


class UserUpdate(_Request):
    display_name: Annotated[str, name_text(200), Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
    password: Annotated[Password, Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
    is_admin: Annotated[Flag, Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
    is_active: Annotated[Flag, Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
    language: Annotated[Language, Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]


class GroupReply(BaseModel):
    id: int
    name: str
    description: str | None
    member_ids: list[int]

    @classmethod
    def of(cls, group: GroupRecord) -> GroupReply:
        return cls(
            id=group.id, name=group.name, description=group.description, member_ids=list(group.member_ids)
        )


class GroupCreate(_Request):
    name: Annotated[str, name_text(100)]
    description: Annotated[str | None, text(max_length=500)] = None


class GroupUpdate(_Request):
    name: Annotated[str, name_text(100), Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
    description: Annotated[str | None, text(max_length=500)] = None


# --- lists -----------------------------------------------------------------------------------------


class ListReply(BaseModel):
    name: ListName
    label: str


class ListItemReply(BaseModel):
    id: int
    list: ListName
    name: str
    rank: int
    deleted: bool

    @classmethod
    def of(cls, item: ListItemRecord) -> ListItemReply:
        return cls(id=item.id, list=item.list_name, name=item.name, rank=item.rank, deleted=item.deleted)


class ListItemCreate(_Request):
    name: Annotated[str, name_text(200)]
    rank: Rank | None = Field(default=None, description="Display position; default: after the last item.")


class ListItemUpdate(_Request):
    name: Annotated[str, name_text(200), Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
    rank: Annotated[Rank, Field(json_schema_extra=_no_default)] = None  # type: ignore[assignment]
