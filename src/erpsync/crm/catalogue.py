"""THE CRM field catalogue: every company, person and project field as data.

It drives the store's validation, field mapping and its type checks, automatic field mapping
(reference §2.5.3), search and the UI. The reference leaves the CRM's field keys undocumented; ours
are plain snake_case per entity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from erpsync.i18n import lazy_gettext

from .texts import Text, _

__all__ = [
    "ACTOR_TYPE_NUMBERS",
    "CATALOGUE",
    "ENTITY_OF_ACTOR_TYPE",
    "CrmActorType",
    "CrmEntity",
    "CrmField",
    "FieldKind",
    "ListName",
    "actor_type_of",
    "auto_map_target",
    "field",
    "fields_by_key",
    "fields_of",
    "find_field",
    "list_label",
    "list_source_label",
    "searchable_fields",
]


class CrmEntity(StrEnum):
    company = "company"
    person = "person"
    project = "project"


class CrmActorType(StrEnum):
    """The reference's ``CrmActorType``. "Contact" is a *company* here, as in SuperOffice's API."""

    Contact = "Contact"
    Person = "Person"
    Project = "Project"


ACTOR_TYPE_NUMBERS: dict[CrmActorType, int] = {
    CrmActorType.Contact: 1,
    CrmActorType.Person: 2,
    CrmActorType.Project: 3,
}

ENTITY_OF_ACTOR_TYPE: dict[CrmActorType, CrmEntity] = {
    CrmActorType.Contact: CrmEntity.company,
    CrmActorType.Person: CrmEntity.person,
    CrmActorType.Project: CrmEntity.project,
}


def actor_type_of(entity: CrmEntity | str) -> CrmActorType:
    wanted = CrmEntity(entity)
    return next(actor for actor, each in ENTITY_OF_ACTOR_TYPE.items() if each is wanted)


class FieldKind(StrEnum):
    text = "text"
    integer = "integer"
    double = "double"
    checkbox = "checkbox"
    date = "date"  # a UTC date-time, as the protocol's Datetime
    list = "list"  # the value is the id of an item of ``CrmField.list_name``


class ListName(StrEnum):
    country = "country"
    category = "category"
    business = "business"
    project_status = "project_status"
    project_type = "project_type"


_LIST_LABELS = {
    ListName.country: lazy_gettext("Country"),
    ListName.category: lazy_gettext("Category"),
    ListName.business: lazy_gettext("Business"),
    ListName.project_status: lazy_gettext("Project status"),
    ListName.project_type: lazy_gettext("Project type"),
}


def list_label(name: ListName | str) -> Text:
    """The list's name in the current language, for people to read."""
    return _(_LIST_LABELS[ListName(name)])


def list_source_label(name: ListName | str) -> str:
    """The list's name in English (the source language), for what is stored."""
    return _LIST_LABELS[ListName(name)]


@dataclass(frozen=True, slots=True)
class CrmField:
    """One CRM field.

    ``attribute`` is the ORM attribute (and column) holding the value; it differs from ``key`` for
    list fields (``country`` → ``country_id``) and the read-only timestamps. ``auto_map`` holds the
    ERP field keys that map to this field automatically. ``references`` names the entity whose
    record id the value is (a person's company). ``searchable`` fields take part in text search.

    ``label`` is what people read: ``source_label`` (English, the catalogue's message id) in the
    language of the work at hand, looked up each time it is read — a request's language in a page
    or an API reply, English in the engine and the CLI. It is a :class:`~erpsync.crm.texts.Text`,
    so a message stored in every language names the field in each.
    """

    key: str
    entity: CrmEntity
    attribute: str
    kind: FieldKind
    source_label: str
    list_name: ListName | None = None
    syncable: bool = True
    read_only: bool = False
    max_length: int | None = None
    auto_map: tuple[str, ...] = ()
    required: bool = False
    references: CrmEntity | None = None
    searchable: bool = False

    @property
    def label(self) -> Text:
        return _(self.source_label)


def _text(
    entity: CrmEntity,
    key: str,
    label: str,
    max_length: int,
    *auto_map: str,
    required: bool = False,
    searchable: bool = False,
) -> CrmField:
    return CrmField(
        key,
        entity,
        key,
        FieldKind.text,
        label,
        max_length=max_length,
        auto_map=auto_map,
        required=required,
        searchable=searchable,
    )


def _typed(entity: CrmEntity, key: str, label: str, kind: FieldKind, *auto_map: str) -> CrmField:
    return CrmField(key, entity, key, kind, label, auto_map=auto_map)


def _list(entity: CrmEntity, key: str, label: str, list_name: ListName, *auto_map: str) -> CrmField:
    return CrmField(key, entity, f"{key}_id", FieldKind.list, label, list_name=list_name, auto_map=auto_map)


# Each label a literal of its own, so that the catalogue's extraction finds it.
_ADDRESS_LABELS = {
    "postal": (
        lazy_gettext("Postal address line 1"),
        lazy_gettext("Postal address line 2"),
        lazy_gettext("Postal address line 3"),
        lazy_gettext("Postal zip code"),
        lazy_gettext("Postal city"),
        lazy_gettext("Postal county"),
        lazy_gettext("Postal state"),
    ),
    "street": (
        lazy_gettext("Street address line 1"),
        lazy_gettext("Street address line 2"),
        lazy_gettext("Street address line 3"),
        lazy_gettext("Street zip code"),
        lazy_gettext("Street city"),
        lazy_gettext("Street county"),
        lazy_gettext("Street state"),
    ),
}


def _address(entity: CrmEntity, prefix: str, erp_prefix: str) -> tuple[CrmField, ...]:
    """Address lines 1 to 3, zip, city, county and state, keyed ``<prefix>_…``."""
    line_1, line_2, line_3, zip_code, city, county, state = _ADDRESS_LABELS[prefix]
    lines = tuple(
        _text(entity, f"{prefix}_address_{n}", label, 200, f"{erp_prefix}AD{n}")
        for n, label in ((1, line_1), (2, line_2), (3, line_3))
    )
    return (
        *lines,
        _text(entity, f"{prefix}_zip", zip_code, 20, f"{erp_prefix}ZIP"),
        _text(entity, f"{prefix}_city", city, 100, f"{erp_prefix}CITY", searchable=True),
        _text(entity, f"{prefix}_county", county, 100, f"{erp_prefix}COUNTY"),
        _text(entity, f"{prefix}_state", state, 100, f"{erp_prefix}STATE"),
    )


def _timestamps(entity: CrmEntity) -> tuple[CrmField, ...]:
    # Kept by the CRM itself: shown, never written by a user or a sync.
    return (
        CrmField(
            "registered",
            entity,
            "created_at",
            FieldKind.date,
            lazy_gettext("Registered"),
            syncable=False,
            read_only=True,
        ),
        CrmField(
            "updated",
            entity,
            "updated_at",
            FieldKind.date,
            lazy_gettext("Updated"),
            syncable=False,
            read_only=True,
        ),
    )


_C = CrmEntity.company
_P = CrmEntity.person
_J = CrmEntity.project

_COMPANY: tuple[CrmField, ...] = (
    _text(_C, "name", lazy_gettext("Name"), 200, "NAME", required=True, searchable=True),
    _text(_C, "department", lazy_gettext("Department"), 200, "DEPARTMENT", searchable=True),
    _text(_C, "code", lazy_gettext("Code"), 50, "NUMBER1", searchable=True),
    _text(_C, "number", lazy_gettext("Number"), 50, "NUMBER2", searchable=True),
    _text(_C, "phone", lazy_gettext("Telephone"), 100, "PHONE", searchable=True),
    _text(_C, "fax", lazy_gettext("Fax"), 100, "FAX"),
    _text(_C, "email", lazy_gettext("E-mail"), 254, "EMAIL", searchable=True),
    _text(_C, "web_site", lazy_gettext("Web site"), 500, "URL"),
    *_address(_C, "postal", "POSTAL"),
    *_address(_C, "street", "STREET"),
    _list(_C, "country", lazy_gettext("Country"), ListName.country, "COUNTRY"),
    _text(_C, "vat_no", lazy_gettext("VAT No."), 50, "VATNO", searchable=True),
    _list(_C, "category", lazy_gettext("Category"), ListName.category),
    _list(_C, "business", lazy_gettext("Business"), ListName.business),
    _typed(_C, "employees", lazy_gettext("Employees"), FieldKind.integer),
    _typed(_C, "turnover", lazy_gettext("Turnover"), FieldKind.double),
    _typed(_C, "no_mailings", lazy_gettext("No mailings"), FieldKind.checkbox),
    *_timestamps(_C),
)

_PERSON: tuple[CrmField, ...] = (
    CrmField(
        "company_id",
        _P,
        "company_id",
        FieldKind.integer,
        lazy_gettext("Company"),
        syncable=False,  # a person's company follows its ERP actor's parent, not a field mapping
        required=True,
        references=CrmEntity.company,
    ),
    _text(_P, "first_name", lazy_gettext("First name"), 50, "FIRSTNAME", searchable=True),
    _text(_P, "middle_name", lazy_gettext("Middle name"), 50, "MIDDLENAME"),
    _text(_P, "last_name", lazy_gettext("Last name"), 50, "LASTNAME", searchable=True),
    _text(_P, "title", lazy_gettext("Title"), 100, "TITLE"),
    _text(_P, "number", lazy_gettext("Number"), 50, "NUMBER", searchable=True),
    _text(_P, "phone_direct", lazy_gettext("Direct phone"), 100, "PHONE_DIRECT", searchable=True),
    _text(_P, "phone_private", lazy_gettext("Private phone"), 100, "PHONE_PRIVATE"),
    _text(_P, "phone_mobile", lazy_gettext("Mobile phone"), 100, "PHONE_MOBILE", searchable=True),
    _text(_P, "phone_other", lazy_gettext("Other phone"), 100, "PHONE_OTHER"),
    _text(_P, "email", lazy_gettext("E-mail"), 254, "EMAIL", searchable=True),
    _text(_P, "position", lazy_gettext("Position"), 100, "POSITION"),
    _typed(_P, "birth_date", lazy_gettext("Birth date"), FieldKind.date, "BIRTHDATE"),
    _text(_P, "web_site", lazy_gettext("Web site"), 500, "URL"),
    _text(_P, "postal_address_1", lazy_gettext("Postal address line 1"), 200, "POSTALAD1"),
    _text(_P, "postal_address_2", lazy_gettext("Postal address line 2"), 200, "POSTALAD2"),
    _text(_P, "postal_address_3", lazy_gettext("Postal address line 3"), 200, "POSTALAD3"),
    _text(_P, "postal_zip", lazy_gettext("Postal zip code"), 20, "POSTALZIP"),
    _text(_P, "postal_city", lazy_gettext("Postal city"), 100, "POSTALCITY"),
    _text(_P, "postal_state", lazy_gettext("Postal state"), 100, "POSTALSTATE"),
    _text(_P, "postal_county", lazy_gettext("Postal county"), 100, "POSTALCOUNTY"),
    _list(_P, "country", lazy_gettext("Country"), ListName.country, "POSTALCOUNTRY"),
    _typed(_P, "no_mailings", lazy_gettext("No mailings"), FieldKind.checkbox),
    *_timestamps(_P),
)

_PROJECT: tuple[CrmField, ...] = (
    _text(_J, "name", lazy_gettext("Project name"), 200, "NAME", required=True, searchable=True),
    _text(_J, "description", lazy_gettext("Description"), 2000, "TEXT", searchable=True),
    _text(_J, "number", lazy_gettext("Number"), 50, "NUMBER", searchable=True),
    _text(_J, "web_site", lazy_gettext("Web site"), 500, "URL"),
    _typed(_J, "end_date", lazy_gettext("End date"), FieldKind.date, "ENDDATE"),
    _list(_J, "status", lazy_gettext("Status"), ListName.project_status),
    _list(_J, "type", lazy_gettext("Type"), ListName.project_type),
    _typed(_J, "budget", lazy_gettext("Budget"), FieldKind.double),
    _typed(_J, "hours", lazy_gettext("Hours"), FieldKind.integer),
    _typed(_J, "done", lazy_gettext("Done"), FieldKind.checkbox),
    *_timestamps(_J),
)

CATALOGUE: dict[CrmEntity, tuple[CrmField, ...]] = {
    CrmEntity.company: _COMPANY,
    CrmEntity.person: _PERSON,
    CrmEntity.project: _PROJECT,
}

_BY_KEY: dict[CrmEntity, dict[str, CrmField]] = {
    entity: {each.key: each for each in fields} for entity, fields in CATALOGUE.items()
}

_AUTO_MAP: dict[CrmEntity, dict[str, CrmField]] = {
    entity: {erp_key.casefold(): each for each in fields for erp_key in each.auto_map}
    for entity, fields in CATALOGUE.items()
}


def fields_of(entity: CrmEntity | str) -> tuple[CrmField, ...]:
    """The fields of ``entity`` in display order. Raises ``ValueError`` for an unknown entity."""
    return CATALOGUE[CrmEntity(entity)]


def field(entity: CrmEntity | str, key: str) -> CrmField:
    """The field ``key`` of ``entity``. Raises ``KeyError`` when there is none."""
    return _BY_KEY[CrmEntity(entity)][key]


def fields_by_key(entity: CrmEntity | str) -> Mapping[str, CrmField]:
    return _BY_KEY[CrmEntity(entity)]


def find_field(entity: CrmEntity | str, key: str) -> CrmField | None:
    return _BY_KEY[CrmEntity(entity)].get(key)


def auto_map_target(entity: CrmEntity | str, erp_field_key: str) -> CrmField | None:
    """The CRM field an ERP field key maps to automatically (reference §2.5.3), compared
    case-insensitively; ``None`` when the key is not one of the well-known names."""
    return _AUTO_MAP[CrmEntity(entity)].get(erp_field_key.casefold())


def searchable_fields(entity: CrmEntity | str) -> Iterable[CrmField]:
    return (each for each in fields_of(entity) if each.searchable)
