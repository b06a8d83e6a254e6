"""The Tryton connector's actor types and fields, declared as data.

Keys follow the reference's automatic-mapping names (NAME, NUMBER1, POSTALAD1, VATNO, FIRSTNAME,
ENDDATE …) so a new connection comes pre-mapped. Each searchable field also says which Tryton field
a search restriction on it becomes (:class:`Column`, used by :mod:`.domains`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from erpsync.protocol import ActorType, FieldAccess, FieldMetadata, FieldType
from erpsync.sdk.errors import UnknownActorType
from erpsync.sdk.languages import explain as _

__all__ = [
    "ACTOR_TYPES",
    "COLUMNS",
    "COMPANY_TYPES",
    "Column",
    "ColumnKind",
    "actor_type_of",
    "field_map",
    "fields_of",
]

ACTOR_TYPES = (ActorType.Customer, ActorType.Supplier, ActorType.Person, ActorType.Project)
COMPANY_TYPES = frozenset({ActorType.Customer, ActorType.Supplier})

_N, _M, _R = FieldAccess.Normal, FieldAccess.Mandatory, FieldAccess.ReadOnly
_T = FieldType


def _f(
    key: str,
    name: str,
    field_type: FieldType,
    rank: int,
    description: str = "",
    *,
    access: FieldAccess = _N,
    list_name: str = "",
) -> FieldMetadata:
    return FieldMetadata(
        field_key=key,
        display_name=name,
        display_description=description,
        field_type=field_type,
        list_name=list_name,
        access=access,
        rank=rank,
    )


_COMPANY = (
    _f("NAME", "Name", _T.Text, 10, "The party's name", access=_M),
    _f("NUMBER1", "Code", _T.Text, 20, "The party's code, assigned by Tryton", access=_R),
    _f("PHONE", "Telephone", _T.Text, 30, "First phone contact mechanism"),
    _f("FAX", "Fax", _T.Text, 40, "First fax contact mechanism"),
    _f("EMAIL", "E-mail", _T.Text, 50, "First e-mail contact mechanism"),
    _f("URL", "Web site", _T.Text, 60, "First website contact mechanism"),
    _f("POSTALAD1", "Street", _T.Text, 70, "Street of the first address (lines joined by newlines)"),
    _f("POSTALZIP", "Postal code", _T.Text, 80, "Postal code of the first address"),
    _f("POSTALCITY", "City", _T.Text, 90, "City of the first address"),
    _f("COUNTRY", "Country", _T.List, 100, "Country of the first address", list_name="countries"),
    _f("VATNO", "Tax identifier", _T.Text, 110, "The party's tax identifier"),
    _f("LANGUAGE", "Language", _T.List, 120, "Language of communications", list_name="languages"),
    _f("PAYMENTTERMS", "Payment terms", _T.List, 130, list_name="paymentterms"),
    _f("CATEGORY", "Category", _T.List, 140, "The party's category besides the role", list_name="categories"),
    _f("INACTIVE", "Inactive", _T.Checkbox, 900, "The party is deactivated in Tryton"),
    _f("CREATED", "Created", _T.Datetime, 910, "When the party was created in Tryton", access=_R),
)

_PERSON = (
    _f("FIRSTNAME", "First name", _T.Text, 10, "Tryton keeps one name: 'Last name, First name'"),
    _f("LASTNAME", "Last name", _T.Text, 20, access=_M),
    _f("EMAIL", "E-mail", _T.Text, 30, "First e-mail contact mechanism"),
    _f("PHONE_DIRECT", "Direct phone", _T.Text, 40, "First phone contact mechanism"),
    _f("PHONE_MOBILE", "Mobile phone", _T.Text, 50, "First mobile contact mechanism"),
    _f("LANGUAGE", "Language", _T.List, 60, list_name="languages"),
    _f("INACTIVE", "Inactive", _T.Checkbox, 900, "The party is deactivated in Tryton"),
    _f("CREATED", "Created", _T.Datetime, 910, "When the person was created in Tryton", access=_R),
)

_PROJECT = (
    _f("NAME", "Project name", _T.Text, 10, access=_M),
    _f("NUMBER", "Project number", _T.Text, 20, "Assigned by Tryton", access=_R),
    _f("TEXT", "Description", _T.Text, 30, "The project's comment"),
    _f("STATUS", "Status", _T.List, 40, list_name="projectstatus"),
    _f("EFFORT", "Effort (hours)", _T.Double, 60, "Planned effort in hours"),
    _f("CUSTOMER", "Customer", _T.Text, 70, "Name of the project's party", access=_R),
    _f("CREATED", "Created", _T.Datetime, 910, "When the project was created in Tryton", access=_R),
)

_FIELDS: Mapping[ActorType, tuple[FieldMetadata, ...]] = {
    ActorType.Customer: _COMPANY,
    ActorType.Supplier: _COMPANY,
    ActorType.Person: _PERSON,
    ActorType.Project: _PROJECT,
}


class ColumnKind(StrEnum):
    """How a restriction's values become a Tryton domain value."""

    text = "text"
    number = "number"
    hours = "hours"  # a Double in hours against a Tryton timedelta
    datetime = "datetime"
    inactive = "inactive"  # the INACTIVE checkbox against Tryton's ``active``
    code = "code"  # list keys that are Tryton codes (country, language)
    record = "record"  # list keys that are Tryton record ids


@dataclass(frozen=True, slots=True)
class Column:
    """The Tryton field a restriction on a field key searches.

    ``exact`` says the path holds exactly the actor's value, so every operator (negations too)
    can be left to Tryton. Otherwise (first of several contact mechanisms, derived name parts)
    only operators that can only widen the result are sent; the connector checks every result
    against the restriction anyway. ``where`` narrows a one-to-many path to one kind of row.
    """

    path: str
    kind: ColumnKind
    exact: bool = True
    where: tuple[tuple[str, str, str], ...] = ()
    #: The actor's value is a part of the column's text (a person's first or last name).
    part: bool = False


def _mechanism(kind: str) -> Column:
    return Column("contact_mechanisms.value", ColumnKind.text, exact=False, where=(("type", "=", kind),))


_K = ColumnKind
_COMPANY_COLUMNS: Mapping[str, Column] = {
    "NAME": Column("name", _K.text),
    "NUMBER1": Column("code", _K.text),
    "PHONE": _mechanism("phone"),
    "EMAIL": _mechanism("email"),
    "POSTALCITY": Column("addresses.city", _K.text, exact=False),
    "COUNTRY": Column("addresses.country.code", _K.code, exact=False),
    "VATNO": Column("identifiers.code", _K.text, exact=False),
    "LANGUAGE": Column("langs.lang.code", _K.code, exact=False),
    "CATEGORY": Column("categories", _K.record, exact=False),
    "INACTIVE": Column("active", _K.inactive),
    "CREATED": Column("create_date", _K.datetime),
}

#: Searchable fields per actor type, with the Tryton field each one searches.
COLUMNS: Mapping[ActorType, Mapping[str, Column]] = {
    ActorType.Customer: {
        **_COMPANY_COLUMNS,
        "PAYMENTTERMS": Column("payment_terms.customer_payment_term", _K.record, exact=False),
    },
    ActorType.Supplier: {
        **_COMPANY_COLUMNS,
        "PAYMENTTERMS": Column("payment_terms.supplier_payment_term", _K.record, exact=False),
    },
    ActorType.Person: {
        "FIRSTNAME": Column("name", _K.text, exact=False, part=True),
        "LASTNAME": Column("name", _K.text, exact=False, part=True),
        "EMAIL": _mechanism("email"),
        "PHONE_MOBILE": _mechanism("mobile"),
        "LANGUAGE": Column("langs.lang.code", _K.code, exact=False),
        "INACTIVE": Column("active", _K.inactive),
        "CREATED": Column("create_date", _K.datetime),
    },
    ActorType.Project: {
        "NAME": Column("name", _K.text),
        "NUMBER": Column("number", _K.text),
        "TEXT": Column("comment", _K.text),
        "STATUS": Column("status", _K.record),
        "EFFORT": Column("effort_duration", _K.hours),
        "CREATED": Column("create_date", _K.datetime),
    },
}


def actor_type_of(name: str) -> ActorType:
    """The connector's actor type called ``name``; raises :class:`UnknownActorType` otherwise."""
    try:
        actor_type = ActorType(name)
    except ValueError:
        actor_type = ActorType.Unknown
    if actor_type not in _FIELDS:
        raise UnknownActorType(
            _("The Tryton connector has no actor type %(type)r.", type=name),
            f"supported: {', '.join(ACTOR_TYPES)}",
        )
    return actor_type


def fields_of(actor_type: ActorType) -> tuple[FieldMetadata, ...]:
    return _FIELDS[actor_type]


@cache
def field_map(actor_type: ActorType) -> Mapping[str, FieldMetadata]:
    return {f.field_key: f for f in _FIELDS[actor_type]}
