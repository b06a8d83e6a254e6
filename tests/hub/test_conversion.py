"""CRM value ↔ ERP wire value, per kind and through list mappings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from erpsync.crm.catalogue import FieldKind
from erpsync.hub.conversion import Untranslatable, crm_to_erp, erp_to_crm
from erpsync.protocol import FieldType
from erpsync.protocol.codec import ValueError_

WHEN = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "kind", "erp", "wire"),
    [
        ("Nordic", FieldKind.text, FieldType.Text, "Nordic"),
        (42, FieldKind.integer, FieldType.Integer, "[I:42]"),
        (1.5, FieldKind.double, FieldType.Double, "[F:1.5]"),
        (True, FieldKind.checkbox, FieldType.Checkbox, "[I:1]"),
        (False, FieldKind.checkbox, FieldType.Checkbox, "[I:0]"),
        (WHEN, FieldKind.date, FieldType.Datetime, "[DT:03/14/2026 15:09:26.5358970]"),
        (None, FieldKind.text, FieldType.Text, ""),
        (42, FieldKind.integer, FieldType.Text, "42"),
        (2.25, FieldKind.double, FieldType.Text, "2.25"),
        (True, FieldKind.checkbox, FieldType.Text, "1"),
        (WHEN, FieldKind.date, FieldType.Text, "2026-03-14T15:09:26.535897+00:00"),
    ],
)
def test_crm_to_erp(value: object, kind: FieldKind, erp: FieldType, wire: str) -> None:
    assert crm_to_erp(value, kind, erp) == wire


@pytest.mark.parametrize(
    ("wire", "erp", "kind", "value"),
    [
        ("Nordic", FieldType.Text, FieldKind.text, "Nordic"),
        ("[I:42]", FieldType.Integer, FieldKind.integer, 42),
        ("[F:1.5]", FieldType.Double, FieldKind.double, 1.5),
        ("[I:1]", FieldType.Checkbox, FieldKind.checkbox, True),
        ("", FieldType.Checkbox, FieldKind.checkbox, False),
        ("", FieldType.Integer, FieldKind.integer, None),
        ("[DT:03/14/2026 15:09:26.5358970]", FieldType.Datetime, FieldKind.date, WHEN),
        ("[I:7]", FieldType.Integer, FieldKind.text, "7"),
        ("[I:0]", FieldType.Checkbox, FieldKind.text, "0"),
        ("[F:3]", FieldType.Double, FieldKind.text, "3.0"),
        ("17", FieldType.Integer, FieldKind.integer, 17),
    ],
)
def test_erp_to_crm(wire: str, erp: FieldType, kind: FieldKind, value: object) -> None:
    assert erp_to_crm(wire, erp, kind) == value


def test_list_values_go_through_the_mapping_both_ways() -> None:
    assert crm_to_erp(5, FieldKind.list, FieldType.List, {5: "NET30"}) == "NET30"
    assert erp_to_crm("NET30", FieldType.List, FieldKind.list, {"NET30": 5}) == 5
    with pytest.raises(Untranslatable):
        crm_to_erp(6, FieldKind.list, FieldType.List, {5: "NET30"})
    with pytest.raises(Untranslatable):
        erp_to_crm("NET60", FieldType.List, FieldKind.list, {"NET30": 5})
    assert crm_to_erp(None, FieldKind.list, FieldType.List, {}) == ""
    assert erp_to_crm("", FieldType.List, FieldKind.list, {}) is None


def test_unreadable_wire_value_is_refused() -> None:
    with pytest.raises(ValueError_):
        erp_to_crm("[I:abc]", FieldType.Integer, FieldKind.integer)
