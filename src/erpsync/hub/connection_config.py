"""The config values a connection is saved with, from what the administrator sent (plain rules).

The connector's ``GetConfigData`` fields decide: Label fields hold no value; a ReadOnly field keeps
the connector's DefaultValue; a field left out keeps its stored value (or, for a new connection,
takes the connector's DefaultValue, as the dialog would have pre-filled it); a Password field sent
as the mask ``********`` — or empty, when a value is stored — keeps the stored password (for a new
connection the mask stands for the connector's DefaultValue, which is shown masked); every
value must be encoded for its field type, fit MaxLength, and Mandatory fields must be filled.
Messages never contain a value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from erpsync.crm.texts import _
from erpsync.protocol import FieldAccess, FieldMetadata, FieldType
from erpsync.protocol.codec import is_encoded

from .config_values import MASK

__all__ = ["ConfigDraft", "build_config", "config_unchanged", "error_key"]


@dataclass(frozen=True, slots=True)
class ConfigDraft:
    values: dict[str, str]
    secret_keys: frozenset[str]
    errors: dict[str, str] = field(default_factory=dict)


def error_key(field_key: str) -> str:
    """How a config field is named in error replies."""
    return f"ConfigFields.{field_key}"


def _value(meta: FieldMetadata, given: Mapping[str, str], stored: Mapping[str, str] | None) -> str | None:
    """The value to save, or ``None`` when a masked password has nothing stored to stand for."""
    key = meta.field_key
    if meta.access is FieldAccess.ReadOnly:
        return meta.default_value
    if key not in given:
        return stored[key] if stored is not None and key in stored else meta.default_value
    value = given[key]
    if meta.field_type is FieldType.Password and value in (MASK, ""):
        if stored is not None and stored.get(key):
            return stored[key]
        if value == MASK:
            # The mask stands for the value already there: stored, or else the connector's default
            # (shown masked by GetConfigurationFields).
            return meta.default_value or None
    return value


def _problem(meta: FieldMetadata, value: str) -> str:
    if meta.access is FieldAccess.Mandatory and value == "":
        return _("is mandatory: fill it in")
    if not is_encoded(value, meta.field_type):
        return _("is not a valid %(type)s value", type=meta.field_type.value)
    if (
        meta.max_length
        and meta.field_type in (FieldType.Text, FieldType.Password)
        and len(value) > meta.max_length
    ):
        return _("is longer than %(max)s characters", max=meta.max_length)
    return ""


def build_config(
    fields: Sequence[FieldMetadata], given: Mapping[str, str], stored: Mapping[str, str] | None
) -> ConfigDraft:
    """The values to save for ``fields`` (the connector's config fields); ``stored`` is ``None`` for a
    new connection."""
    known = {meta.field_key for meta in fields}
    errors: dict[str, str] = {
        error_key(key): _("is not a config field of this connector") for key in given if key not in known
    }
    values: dict[str, str] = {}
    for meta in sorted(fields, key=lambda f: f.rank):
        if meta.field_type is FieldType.Label or meta.field_key in values:
            continue
        value = _value(meta, given, stored)
        if value is None:
            errors[error_key(meta.field_key)] = _("there is no stored password to keep: type the password")
            continue
        problem = _problem(meta, value)
        if problem:
            errors[error_key(meta.field_key)] = problem
        values[meta.field_key] = value
    secret_keys = frozenset(m.field_key for m in fields if m.field_type is FieldType.Password)
    return ConfigDraft(values, secret_keys, errors)


def config_unchanged(
    given: Mapping[str, str], stored: Mapping[str, str], secret_keys: frozenset[str]
) -> bool:
    """Would saving ``given`` leave the stored values as they are? Decided without the connector, so
    that renaming a connection (its dialog sends the config back, masked) needs no connector call."""
    for key, value in given.items():
        if key in secret_keys and value in (MASK, ""):
            continue
        if stored.get(key) != value:
            return False
    return True
