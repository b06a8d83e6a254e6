from __future__ import annotations

import pytest
from sqlalchemy import Boolean, DateTime, Double, Integer, String
from sqlalchemy.types import TypeDecorator

import erpsync.crm.models as models
from erpsync.crm.catalogue import (
    ACTOR_TYPE_NUMBERS,
    CATALOGUE,
    ENTITY_OF_ACTOR_TYPE,
    CrmActorType,
    CrmEntity,
    FieldKind,
    ListName,
    actor_type_of,
    auto_map_target,
    field,
    fields_of,
)

MODELS = {
    CrmEntity.company: models.Company,
    CrmEntity.person: models.Person,
    CrmEntity.project: models.Project,
}

# Reference §2.5.3, verbatim: ERP field key → our CRM field key.
AUTOMATIC_MAPPING = {
    CrmEntity.company: {
        "NAME": "name", "NUMBER1": "code", "NUMBER2": "number", "DEPARTMENT": "department",
        "PHONE": "phone", "FAX": "fax", "EMAIL": "email", "URL": "web_site",
        "POSTALAD1": "postal_address_1", "POSTALAD2": "postal_address_2", "POSTALAD3": "postal_address_3",
        "POSTALZIP": "postal_zip", "POSTALCITY": "postal_city", "POSTALCOUNTY": "postal_county",
        "POSTALSTATE": "postal_state", "STREETAD1": "street_address_1", "STREETAD2": "street_address_2",
        "STREETAD3": "street_address_3", "STREETZIP": "street_zip", "STREETCITY": "street_city",
        "STREETCOUNTY": "street_county", "STREETSTATE": "street_state", "COUNTRY": "country",
        "VATNO": "vat_no",
    },
    CrmEntity.person: {
        "FIRSTNAME": "first_name", "MIDDLENAME": "middle_name", "LASTNAME": "last_name", "TITLE": "title",
        "NUMBER": "number", "PHONE_DIRECT": "phone_direct", "PHONE_PRIVATE": "phone_private",
        "PHONE_MOBILE": "phone_mobile", "PHONE_OTHER": "phone_other", "EMAIL": "email",
        "POSITION": "position", "BIRTHDATE": "birth_date", "URL": "web_site",
        "POSTALAD1": "postal_address_1", "POSTALAD2": "postal_address_2", "POSTALAD3": "postal_address_3",
        "POSTALZIP": "postal_zip", "POSTALCITY": "postal_city", "POSTALSTATE": "postal_state",
        "POSTALCOUNTY": "postal_county", "POSTALCOUNTRY": "country",
    },
    CrmEntity.project: {
        "NAME": "name", "TEXT": "description", "NUMBER": "number", "URL": "web_site", "ENDDATE": "end_date",
    },
}  # fmt: skip

COLUMN_TYPES = {
    FieldKind.text: String,
    FieldKind.integer: Integer,
    FieldKind.double: Double,
    FieldKind.checkbox: Boolean,
    FieldKind.date: DateTime,
    FieldKind.list: Integer,
}


@pytest.mark.parametrize("entity", list(CrmEntity))
def test_automatic_mapping_of_the_reference(entity: CrmEntity) -> None:
    for erp_key, crm_key in AUTOMATIC_MAPPING[entity].items():
        target = auto_map_target(entity, erp_key)
        assert target is not None, erp_key
        assert target.key == crm_key
        assert auto_map_target(entity, erp_key.lower()) == target  # case-insensitive
    declared = {erp_key for each in fields_of(entity) for erp_key in each.auto_map}
    assert declared == set(AUTOMATIC_MAPPING[entity])
    assert auto_map_target(entity, "NO_SUCH_FIELD") is None


@pytest.mark.parametrize("entity", list(CrmEntity))
def test_every_field_has_a_matching_column(entity: CrmEntity) -> None:
    table = MODELS[entity].__table__
    for crm_field in fields_of(entity):
        column = table.c[crm_field.attribute]
        column_type = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        assert isinstance(column_type, COLUMN_TYPES[crm_field.kind]), crm_field.key
        if crm_field.kind is FieldKind.text:
            assert column.type.length == crm_field.max_length, crm_field.key
        if crm_field.kind is FieldKind.list:
            assert crm_field.list_name is not None
            assert {fk.column.table.name for fk in column.foreign_keys} == {"list_items"}
        never_null = crm_field.required or crm_field.read_only or crm_field.kind is FieldKind.checkbox
        assert column.nullable is not never_null, crm_field.key


def test_every_kind_exists_on_companies_and_keys_are_snake_case() -> None:
    assert {each.kind for each in fields_of(CrmEntity.company)} == set(FieldKind)
    for fields in CATALOGUE.values():
        keys = [each.key for each in fields]
        assert len(keys) == len(set(keys))
        assert all(key == key.lower() and " " not in key for key in keys)


def test_list_fields_name_their_list() -> None:
    assert field("company", "country").list_name is ListName.country
    assert field("company", "category").list_name is ListName.category
    assert field("company", "business").list_name is ListName.business
    assert field("person", "country").list_name is ListName.country
    assert field("project", "status").list_name is ListName.project_status
    assert field("project", "type").list_name is ListName.project_type


def test_timestamps_are_read_only_and_not_syncable() -> None:
    for entity in CrmEntity:
        for key in ("registered", "updated"):
            crm_field = field(entity, key)
            assert crm_field.read_only
            assert not crm_field.syncable
    assert not field("person", "company_id").syncable
    assert field("person", "company_id").references is CrmEntity.company


def test_actor_types_follow_the_reference() -> None:
    assert ACTOR_TYPE_NUMBERS[CrmActorType.Contact] == 1
    assert ACTOR_TYPE_NUMBERS[CrmActorType.Person] == 2
    assert ACTOR_TYPE_NUMBERS[CrmActorType.Project] == 3
    assert ENTITY_OF_ACTOR_TYPE[CrmActorType.Contact] is CrmEntity.company
    assert actor_type_of("person") is CrmActorType.Person
    assert actor_type_of(CrmEntity.project) is CrmActorType.Project


def test_unknown_field_or_entity() -> None:
    with pytest.raises(KeyError):
        field("company", "nope")
    with pytest.raises(ValueError, match="sale"):
        fields_of("sale")
