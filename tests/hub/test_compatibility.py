"""The type compatibility rules of ARCHITECTURE §3.2."""

from __future__ import annotations

import pytest

from erpsync.crm.catalogue import CrmEntity, CrmField, FieldKind, fields_of
from erpsync.hub.compatibility import allowed_directions, crm_fields_for
from erpsync.protocol import FieldAccess, FieldType


def _crm(kind: FieldKind, read_only: bool = False, syncable: bool = True) -> CrmField:
    return CrmField("f", CrmEntity.company, "f", kind, "F", read_only=read_only, syncable=syncable)


SAME = [
    (FieldType.Text, FieldKind.text),
    (FieldType.Integer, FieldKind.integer),
    (FieldType.Double, FieldKind.double),
    (FieldType.Checkbox, FieldKind.checkbox),
    (FieldType.Datetime, FieldKind.date),
    (FieldType.List, FieldKind.list),
]


@pytest.mark.parametrize(("erp", "crm"), SAME)
def test_same_kind_syncs_both_ways(erp: FieldType, crm: FieldKind) -> None:
    d = allowed_directions(erp, FieldAccess.Normal, _crm(crm))
    assert (d.to_crm, d.to_erp) == (True, True)


@pytest.mark.parametrize("erp", [FieldType.Integer, FieldType.Double, FieldType.Datetime, FieldType.Checkbox])
def test_narrow_erp_kind_flows_only_into_crm_text(erp: FieldType) -> None:
    d = allowed_directions(erp, FieldAccess.Normal, _crm(FieldKind.text))
    assert (d.to_crm, d.to_erp) == (True, False)
    assert "not compatible" in d.to_erp_reason


@pytest.mark.parametrize("crm", [FieldKind.integer, FieldKind.double, FieldKind.date, FieldKind.checkbox])
def test_narrow_crm_kind_flows_only_into_erp_text(crm: FieldKind) -> None:
    d = allowed_directions(FieldType.Text, FieldAccess.Normal, _crm(crm))
    assert (d.to_crm, d.to_erp) == (False, True)


@pytest.mark.parametrize(
    ("erp", "crm"),
    [
        (FieldType.Checkbox, FieldKind.integer),
        (FieldType.List, FieldKind.text),
        (FieldType.Text, FieldKind.list),
        (FieldType.Integer, FieldKind.double),
        (FieldType.Datetime, FieldKind.checkbox),
    ],
)
def test_incompatible_kinds(erp: FieldType, crm: FieldKind) -> None:
    d = allowed_directions(erp, FieldAccess.Normal, _crm(crm))
    assert not d.any
    assert d.to_crm_reason
    assert d.to_erp_reason


@pytest.mark.parametrize("erp", [FieldType.Password, FieldType.Label])
def test_password_and_label_never_sync(erp: FieldType) -> None:
    d = allowed_directions(erp, FieldAccess.Normal, _crm(FieldKind.text))
    assert not d.any
    assert "never sync" in d.to_crm_reason


def test_read_only_sides_block_their_direction() -> None:
    d = allowed_directions(FieldType.Text, FieldAccess.ReadOnly, _crm(FieldKind.text))
    assert (d.to_crm, d.to_erp) == (True, False)
    assert d.to_erp_reason == "The ERP field is read-only."
    d = allowed_directions(FieldType.Text, FieldAccess.Normal, _crm(FieldKind.text, read_only=True))
    assert (d.to_crm, d.to_erp) == (False, True)


def test_no_crm_field_or_unsyncable_field() -> None:
    assert (
        allowed_directions(FieldType.Text, FieldAccess.Normal, None).to_crm_reason
        == "Choose a CRM field first."
    )
    assert not allowed_directions(
        FieldType.Text, FieldAccess.Normal, _crm(FieldKind.text, syncable=False)
    ).any


def test_crm_fields_offered_are_filtered_by_kind() -> None:
    offered = crm_fields_for(FieldType.List, FieldAccess.Normal, fields_of(CrmEntity.company))
    assert offered
    assert all(f.kind is FieldKind.list for f in offered)
    text_offered = crm_fields_for(FieldType.Integer, FieldAccess.Normal, fields_of(CrmEntity.company))
    assert {f.kind for f in text_offered} <= {FieldKind.integer, FieldKind.text}
