"""Users and groups of the CRM, and password checking (argon2id).

Password hashes never leave this module: callers get ``UserRecord`` / ``GroupRecord`` values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from .errors import CrmConflict, CrmValidationError, RecordNotFound
from .models import Group, User, group_members
from .texts import _
from .values import is_record_id

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "GroupRecord",
    "UserRecord",
    "add_member",
    "authenticate",
    "create_group",
    "create_user",
    "delete_group",
    "get_group",
    "get_user",
    "get_user_by_username",
    "group_ids_of",
    "list_groups",
    "list_users",
    "remove_member",
    "set_password",
    "update_group",
    "update_user",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 would hash more, but nobody needs it and it is a cheap DoS lever
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")  # en, nb-NO, zh-Hant, es-419

_hasher = PasswordHasher()
# Checked against when the user does not exist, so that a wrong user name takes as long as a
# wrong password and user names cannot be told apart by timing.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    is_admin: bool
    is_active: bool
    language: str


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: int
    name: str
    description: str | None
    member_ids: tuple[int, ...]


# --- users -----------------------------------------------------------------------------------------


def create_user(
    session: Session,
    username: str,
    password: str,
    display_name: str | None = None,
    is_admin: bool = False,
    language: str = "",
) -> UserRecord:
    errors: dict[str, str] = {}
    _check_username(username, errors)
    _check_password(password, errors)
    display = username if display_name is None or not str(display_name).strip() else display_name
    _check_text("display_name", display, 200, errors)
    _check_language(language, errors)
    if errors:
        raise CrmValidationError(errors)
    if get_user_by_username(session, username) is not None:
        raise CrmConflict({"username": _("the user name %(name)r is taken", name=username)})
    user = User(
        username=username,
        display_name=display.strip(),
        password_hash=_hasher.hash(password),
        is_admin=bool(is_admin),
        is_active=True,
        language=language,
    )
    session.add(user)
    session.flush()
    return _user(user)


def get_user(session: Session, user_id: int) -> UserRecord | None:
    user = session.get(User, user_id) if is_record_id(user_id) else None
    return None if user is None else _user(user)


def get_user_by_username(session: Session, username: str) -> UserRecord | None:
    user = session.scalar(select(User).where(User.username == username))
    return None if user is None else _user(user)


def list_users(session: Session, offset: int = 0, limit: int = 100) -> tuple[list[UserRecord], int]:
    """One page of users by user name, and how many there are."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(select(User).order_by(User.username).offset(offset).limit(limit))
    return [_user(each) for each in users], total


def update_user(
    session: Session,
    user_id: int,
    *,
    display_name: str | None = None,
    is_admin: bool | None = None,
    is_active: bool | None = None,
    language: str | None = None,
) -> UserRecord:
    """Change the given attributes (``None`` leaves one as it is)."""
    user = _load_user(session, user_id)
    errors: dict[str, str] = {}
    if display_name is not None:
        _check_text("display_name", display_name, 200, errors)
    if language is not None:
        _check_language(language, errors)
    if errors:
        raise CrmValidationError(errors)
    if display_name is not None:
        user.display_name = display_name.strip()
    if is_admin is not None:
        user.is_admin = is_admin
    if is_active is not None:
        user.is_active = is_active
    if language is not None:
        user.language = language
    session.flush()
    return _user(user)


def set_password(session: Session, user_id: int, password: str) -> None:
    user = _load_user(session, user_id)
    errors: dict[str, str] = {}
    _check_password(password, errors)
    if errors:
        raise CrmValidationError(errors)
    user.password_hash = _hasher.hash(password)
    session.flush()


def authenticate(session: Session, username: str, password: str) -> UserRecord | None:
    """The active user with this user name and password, else ``None`` (whichever was wrong)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return None
    if isinstance(username, str) and "\x00" in username:
        username = ""  # no user has it, and PostgreSQL cannot even compare it
    user = (
        session.scalar(select(User).where(User.username == username)) if isinstance(username, str) else None
    )
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # The hashing parameters were raised since this hash was made: upgrade it now that the
        # password is known.
        user.password_hash = _hasher.hash(password)
        session.flush()
    return _user(user)


# --- groups ----------------------------------------------------------------------------------------


def create_group(session: Session, name: str, description: str | None = None) -> GroupRecord:
    errors: dict[str, str] = {}
    _check_text("name", name, 100, errors)
    if description is not None:
        _check_text("description", description, 500, errors, required=False)
    if errors:
        raise CrmValidationError(errors)
    if _group_named(session, name.strip()) is not None:
        raise CrmConflict({"name": _("there is already a group %(name)r", name=name.strip())})
    group = Group(name=name.strip(), description=description or None)
    session.add(group)
    session.flush()
    return GroupRecord(group.id, group.name, group.description, ())


def get_group(session: Session, group_id: int) -> GroupRecord | None:
    group = session.get(Group, group_id) if is_record_id(group_id) else None
    return None if group is None else _group(session, group)


def list_groups(session: Session) -> list[GroupRecord]:
    groups = list(session.scalars(select(Group).order_by(Group.name)))
    members = _members_by_group(session, [each.id for each in groups])
    return [
        GroupRecord(each.id, each.name, each.description, tuple(members.get(each.id, ()))) for each in groups
    ]


def update_group(
    session: Session, group_id: int, *, name: str | None = None, description: str | None = None
) -> GroupRecord:
    """Rename and/or describe a group; ``description=""`` clears it, ``None`` leaves it."""
    group = _load_group(session, group_id)
    errors: dict[str, str] = {}
    if name is not None:
        _check_text("name", name, 100, errors)
    if description is not None:
        _check_text("description", description, 500, errors, required=False)
    if errors:
        raise CrmValidationError(errors)
    existing = _group_named(session, name.strip()) if name is not None else None
    if existing is not None and existing.id != group.id:
        raise CrmConflict({"name": _("there is already a group %(name)r", name=existing.name)})
    if name is not None:
        group.name = name.strip()
    if description is not None:
        group.description = description or None
    session.flush()
    return _group(session, group)


def delete_group(session: Session, group_id: int) -> None:
    group = _load_group(session, group_id)
    session.execute(delete(group_members).where(group_members.c.group_id == group.id))
    session.execute(delete(Group).where(Group.id == group.id))


def add_member(session: Session, group_id: int, user_id: int) -> None:
    """Put a user in a group; already being a member is fine."""
    _load_group(session, group_id)
    _load_user(session, user_id)
    already = session.scalar(
        select(group_members.c.user_id).where(
            group_members.c.group_id == group_id, group_members.c.user_id == user_id
        )
    )
    if already is None:
        session.execute(insert(group_members).values(group_id=group_id, user_id=user_id))


def remove_member(session: Session, group_id: int, user_id: int) -> None:
    _load_group(session, group_id)
    _load_user(session, user_id)
    session.execute(
        delete(group_members).where(group_members.c.group_id == group_id, group_members.c.user_id == user_id)
    )


def group_ids_of(session: Session, user_id: int) -> list[int]:
    """The groups a user is in: what connection scopes are checked against."""
    return list(
        session.scalars(
            select(group_members.c.group_id).where(group_members.c.user_id == user_id).order_by("group_id")
        )
    )


# --- helpers ---------------------------------------------------------------------------------------


def _user(user: User) -> UserRecord:
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_admin=user.is_admin,
        is_active=user.is_active,
        language=user.language,
    )


def _group(session: Session, group: Group) -> GroupRecord:
    members = _members_by_group(session, [group.id]).get(group.id, [])
    return GroupRecord(group.id, group.name, group.description, tuple(members))


def _members_by_group(session: Session, group_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    if not group_ids:
        return found
    rows = session.execute(
        select(group_members.c.group_id, group_members.c.user_id)
        .where(group_members.c.group_id.in_(group_ids))
        .order_by(group_members.c.user_id)
    )
    for group_id, user_id in rows:
        found.setdefault(group_id, []).append(user_id)
    return found


def _load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if is_record_id(user_id) else None
    if user is None:
        raise RecordNotFound("user", user_id)
    return user


def _load_group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id) if is_record_id(group_id) else None
    if group is None:
        raise RecordNotFound("group", group_id)
    return group


def _group_named(session: Session, name: str) -> Group | None:
    # Exact or case-insensitive: SQLite's lower() folds ASCII only, so the exact test is needed too.
    return session.scalar(
        select(Group).where(or_(Group.name == name, func.lower(Group.name) == name.lower())).limit(1)
    )


def _check_username(username: str, errors: dict[str, str]) -> None:
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = _("must be 1 to 100 letters, digits or . _ @ -, starting with a letter or digit")


def _check_password(password: str, errors: dict[str, str]) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors["password"] = _(
            "must be %(min)s to %(max)s characters", min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH
        )
        return
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        errors["password"] = _("is not valid Unicode text")


def _check_language(language: str, errors: dict[str, str]) -> None:
    # Empty: none chosen, the browser's language applies.
    if not isinstance(language, str) or (language and not LANGUAGE_PATTERN.fullmatch(language)):
        errors["language"] = _("must be a language code such as 'en' or 'nb-NO', or empty")


def _check_text(key: str, value: str, max_length: int, errors: dict[str, str], required: bool = True) -> None:
    if not isinstance(value, str):
        errors[key] = _("must be text")
        return
    if required and not value.strip():
        errors[key] = _("is required")
    elif len(value.strip()) > max_length:
        errors[key] = _("is longer than %(max)s characters", max=max_length)
    elif "\x00" in value:
        errors[key] = _("must not contain NUL characters")
    else:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            errors[key] = _("is not valid Unicode text")
