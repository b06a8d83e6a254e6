from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm import tokens, users
from erpsync.crm.errors import CrmValidationError, RecordNotFound
from erpsync.crm.models import ApiToken, User


def test_passwords_are_stored_as_argon2_hashes(session: Session) -> None:
    user = users.create_user(session, "kari", "correct horse", display_name="Kari Nordmann")
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert not hasattr(user, "password_hash")
    assert user.display_name == "Kari Nordmann"
    assert not user.is_admin
    assert user.language == ""  # none chosen: the browser's language applies


def test_authenticate(session: Session) -> None:
    user = users.create_user(session, "ola", "s3cret-password", is_admin=True)
    assert users.authenticate(session, "ola", "s3cret-password") == user
    assert users.authenticate(session, "ola", "wrong-password") is None
    assert users.authenticate(session, "nobody", "s3cret-password") is None
    users.set_password(session, user.id, "another-password")
    assert users.authenticate(session, "ola", "s3cret-password") is None
    assert users.authenticate(session, "ola", "another-password") is not None
    users.update_user(session, user.id, is_active=False)
    assert users.authenticate(session, "ola", "another-password") is None


def test_user_input_is_checked(session: Session) -> None:
    users.create_user(session, "taken", "password1")
    for username, password, field in [
        ("taken", "password1", "username"),
        ("has space", "password1", "username"),
        ("", "password1", "username"),
        ("fine", "short", "password"),
    ]:
        with pytest.raises(CrmValidationError) as refused:
            users.create_user(session, username, password)
        assert field in refused.value.errors
    with pytest.raises(CrmValidationError, match="language"):
        users.create_user(session, "lang", "password1", language="english!")
    with pytest.raises(RecordNotFound):
        users.set_password(session, 999, "password1")


def test_groups_and_membership(session: Session) -> None:
    kari = users.create_user(session, "kari", "password1")
    ola = users.create_user(session, "ola", "password1")
    sales = users.create_group(session, "Sales", "The sales team")
    support = users.create_group(session, "Support")
    users.add_member(session, sales.id, kari.id)
    users.add_member(session, sales.id, kari.id)  # twice is fine
    users.add_member(session, sales.id, ola.id)
    users.add_member(session, support.id, ola.id)
    group = users.get_group(session, sales.id)
    assert group is not None
    assert group.member_ids == (kari.id, ola.id)
    assert users.group_ids_of(session, ola.id) == sorted([sales.id, support.id])
    users.remove_member(session, sales.id, kari.id)
    assert users.group_ids_of(session, kari.id) == []
    with pytest.raises(CrmValidationError, match="already a group"):
        users.create_group(session, "sales")
    renamed = users.update_group(session, support.id, name="Helpdesk", description="")
    assert (renamed.name, renamed.description) == ("Helpdesk", None)
    users.delete_group(session, sales.id)
    assert [each.name for each in users.list_groups(session)] == ["Helpdesk"]
    assert users.group_ids_of(session, ola.id) == [support.id]
    with pytest.raises(RecordNotFound):
        users.add_member(session, sales.id, ola.id)


def test_tokens_are_hashed_expire_and_can_be_revoked(session: Session) -> None:
    user = users.create_user(session, "kari", "password1")
    issued = tokens.issue_token(session, user.id, timedelta(hours=1))
    stored = session.scalar(select(ApiToken.token_hash))
    assert stored is not None
    assert issued.token not in stored
    assert tokens.user_for_token(session, issued.token) == user
    assert tokens.user_for_token(session, issued.token + "x") is None
    assert tokens.user_for_token(session, "") is None

    expired = tokens.issue_token(session, user.id, timedelta(seconds=-1))
    assert tokens.user_for_token(session, expired.token) is None
    assert tokens.purge_expired_tokens(session) == 1

    assert tokens.revoke_token(session, issued.token)
    assert not tokens.revoke_token(session, issued.token)
    assert tokens.user_for_token(session, issued.token) is None

    again = tokens.issue_token(session, user.id, timedelta(hours=1))
    users.update_user(session, user.id, is_active=False)
    assert tokens.user_for_token(session, again.token) is None  # a deactivated user's tokens stop working
    assert tokens.revoke_user_tokens(session, user.id) == 1
