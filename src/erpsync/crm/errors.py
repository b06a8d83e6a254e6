"""Errors of the CRM core. A refused write has changed nothing.

Their messages are for people: made in the current language (see ``crm.texts``).
"""

from __future__ import annotations

from collections.abc import Mapping

from erpsync.i18n import lazy_gettext

from .texts import _, joined

__all__ = ["CrmConflict", "CrmError", "CrmValidationError", "RecordNotFound"]


class CrmError(Exception):
    pass


class CrmValidationError(CrmError):
    """Bad input. ``errors`` maps each offending field key to what is wrong with it; in batch writes
    the key is prefixed with the row's index (``"3.name"``)."""

    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        message = _("The values were refused.") if message is None else message
        super().__init__(message)
        self.message = message
        self.errors: dict[str, str] = dict(errors)

    def __str__(self) -> str:
        return str(self.text)

    @property
    def text(self) -> str:
        """The message with each field's problem; a :class:`~erpsync.crm.texts.Text`, so that it can
        be kept in every language."""
        details = joined("; ", (joined(": ", (key, text)) for key, text in self.errors.items()))
        return joined(" ", (self.message, details)) if self.errors else self.message


class CrmConflict(CrmValidationError):
    """Values that are well-formed but do not fit the CRM's current data: a list item or record that
    does not exist (or is deleted), a name that is taken. Sending the same again may work later."""

    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(
            errors, _("The values conflict with the CRM's data.") if message is None else message
        )


_NOT_FOUND = {
    "company": lazy_gettext("There is no company with id %(id)s."),
    "person": lazy_gettext("There is no person with id %(id)s."),
    "project": lazy_gettext("There is no project with id %(id)s."),
    "user": lazy_gettext("There is no user with id %(id)s."),
    "group": lazy_gettext("There is no group with id %(id)s."),
    "list item": lazy_gettext("There is no list item with id %(id)s."),
}


class RecordNotFound(CrmError):
    def __init__(self, kind: str, record_id: int) -> None:
        message = _NOT_FOUND.get(kind, "There is no %(kind)s with id %(id)s.")
        self.message = _(message, kind=kind, id=record_id)
        super().__init__(self.message)
        self.kind = kind
        self.record_id = record_id
