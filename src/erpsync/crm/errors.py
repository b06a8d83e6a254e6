"""Errors of the CRM core. A refused write has changed nothing."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CrmConflict", "CrmError", "CrmValidationError", "RecordNotFound"]


class CrmError(Exception):
    pass


class CrmValidationError(CrmError):
    """Bad input. ``errors`` maps each offending field key to what is wrong with it; in batch writes
    the key is prefixed with the row's index (``"3.name"``)."""

    def __init__(self, errors: Mapping[str, str], message: str = "The values were refused.") -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, str] = dict(errors)

    def __str__(self) -> str:
        details = "; ".join(f"{key}: {text}" for key, text in self.errors.items())
        return f"{self.message} {details}" if details else self.message


class CrmConflict(CrmValidationError):
    """Values that are well-formed but do not fit the CRM's current data: a list item or record that
    does not exist (or is deleted), a name that is taken. Sending the same again may work later."""

    def __init__(
        self, errors: Mapping[str, str], message: str = "The values conflict with the CRM's data."
    ) -> None:
        super().__init__(errors, message)


class RecordNotFound(CrmError):
    def __init__(self, kind: str, record_id: int) -> None:
        super().__init__(f"There is no {kind} with id {record_id}.")
        self.kind = kind
        self.record_id = record_id
