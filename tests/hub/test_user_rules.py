"""The end-user rules as plain functions: field sides and choices, display text, new actors, search
checks and columns. No database, no connector."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from erpsync.crm.catalogue import CrmEntity, field
from erpsync.crm.store import Record
from erpsync.hub.create import build_new_actor
from erpsync.hub.errors import InvalidInput
from erpsync.hub.field_values import (
    MappedField,
    Source,
    check_choice,
    crm_display,
    crm_encoded,
    decide,
    erp_display,
    normal_erp,
    sides_of,
)
from erpsync.hub.models import ErpField
from erpsync.hub.searching import check_restrictions, result_columns
from erpsync.protocol import FieldAccess, FieldType, SearchRestriction


def _mapped(
    erp_key: str, crm_key: str, erp_type: FieldType, to_crm: bool = True, to_erp: bool = True, **lists: Any
) -> MappedField:
    return MappedField(
        erp_field_id=1,
        erp_key=erp_key,
        erp_type=erp_type,
        erp_access=FieldAccess.Normal,
        display_name=erp_key.title(),
        list_name="countries" if erp_type is FieldType.List else "",
        rank=0,
        crm_field=field(CrmEntity.company, crm_key),
        to_crm=to_crm,
        to_erp=to_erp,
        **lists,
    )


NAME = _mapped("NAME", "name", FieldType.Text)
EMAIL = _mapped("EMAIL", "email", FieldType.Text, to_crm=False)
EMPLOYEES = _mapped("EMPLOYEES", "employees", FieldType.Integer)
COUNTRY = _mapped("COUNTRY", "country", FieldType.List, list_to_crm={"NO": 7}, list_to_erp={7: "NO"})


def test_equal_values_stay_and_are_the_base() -> None:
    sides = sides_of(EMPLOYEES, 12, "[I:12]")
    assert not sides.differ
    decision = decide(sides, None)
    assert (decision.source, decision.base, decision.write_to_crm, decision.write_to_erp) == (
        None,
        "[I:12]",
        False,
        False,
    )
    assert not sides_of(NAME, None, "").differ  # an empty text is no value on both sides


def test_a_two_way_field_takes_the_erp_value_unless_the_crm_is_chosen() -> None:
    sides = sides_of(NAME, "Acme AS", "ACME")
    taken = decide(sides, None)
    assert (taken.source, taken.base, taken.write_to_crm) == (Source.erp, "ACME", True)
    chosen = decide(sides, Source.crm)
    assert (chosen.source, chosen.base, chosen.write_to_erp) == (Source.crm, "Acme AS", True)


def test_a_one_way_field_takes_its_source_and_refuses_the_other_side() -> None:
    sides = sides_of(EMAIL, "a@crm.test", "b@erp.test")
    assert decide(sides, None).source is Source.crm
    assert "not synced from the ERP" in check_choice(sides, Source.erp)
    assert (sides.crm_may_win, sides.erp_may_win) == (True, False)


def test_list_values_translate_through_the_list_mapping() -> None:
    assert not sides_of(COUNTRY, 7, "NO").differ
    unmapped = sides_of(COUNTRY, 7, "SE")
    assert unmapped.differ
    assert not unmapped.erp_may_win
    assert unmapped.crm_may_win
    skipped = decide(unmapped, None)  # the ERP would win by default, but "SE" has no CRM item
    assert skipped.base is None
    assert "no CRM list mapping" in skipped.problem
    assert not skipped.write_to_crm
    assert not skipped.write_to_erp


def test_an_erp_value_the_crm_cannot_hold_cannot_win() -> None:
    sides = sides_of(NAME, "Acme", "x" * 300)
    assert not sides.erp_may_win
    assert "longer than 200" in sides.erp_problem
    assert sides_of(EMPLOYEES, 5, "[I:5.5]").differ


@pytest.mark.parametrize(
    ("text", "erp_type", "shown"),
    [
        ("[DT:05/01/2024 13:45:00.0000000]", FieldType.Datetime, "2024-05-01 13:45"),
        ("[DT:05/01/2024 13:45:07.0000000]", FieldType.Datetime, "2024-05-01 13:45:07"),
        ("[DT:05/01/2024 00:00:00.0000000]", FieldType.Datetime, "2024-05-01"),
        ("", FieldType.Datetime, ""),
        ("[I:1]", FieldType.Checkbox, "Yes"),
        ("", FieldType.Checkbox, "No"),
        ("[F:2500.0]", FieldType.Double, "2500.0"),
        ("[F:1e3]", FieldType.Double, "1000.0"),
        ("[I:42]", FieldType.Integer, "42"),
        ("NOK", FieldType.List, "Norwegian krone"),
        ("XXX", FieldType.List, "XXX"),
        ("secret", FieldType.Password, "********"),
        ("[I:oops]", FieldType.Integer, "[I:oops]"),
    ],
)
def test_erp_values_are_shown_readably(text: str, erp_type: FieldType, shown: str) -> None:
    assert erp_display(text, erp_type, {"NOK": "Norwegian krone"}) == shown


def test_crm_values_are_shown_and_encoded() -> None:
    when = datetime(2024, 5, 1, 13, 45, tzinfo=UTC)
    assert crm_display(7, field(CrmEntity.company, "country").kind, {7: "Norway"}) == "Norway"
    assert crm_display(False, field(CrmEntity.company, "no_mailings").kind) == "No"
    assert crm_encoded(when, field(CrmEntity.person, "birth_date").kind) == "[DT:05/01/2024 13:45:00.0000000]"
    assert crm_encoded(2.5, field(CrmEntity.company, "turnover").kind) == "[F:2.5]"
    assert normal_erp("[F:10]", FieldType.Double) == "[F:10.0]"
    assert normal_erp("[F:?]", FieldType.Double) == "[F:?]"


def _row(key: str, field_type: FieldType = FieldType.Text, **settings: Any) -> ErpField:
    values: dict[str, Any] = {
        "erp_field_key": key,
        "display_name": key.title(),
        "field_type": field_type.value,
        "list_name": "",
        "default_value": "",
        "max_length": 0,
        "access": FieldAccess.Normal.value,
        "searchable": False,
        "crm_field_key": None,
        "show_in_search": False,
        "rank": 0,
        "has_first_sync_default_value": False,
        "first_sync_default_value": "",
        "prompt_user": False,
        "mandatory": False,
    }
    values.update(settings)
    return ErpField(**values)


def _company(**values: Any) -> Record:
    return Record(CrmEntity.company, 1, values)


def test_a_new_actor_takes_defaults_then_crm_values_then_the_users() -> None:
    rows = [
        _row("NAME", access=FieldAccess.Mandatory.value),
        _row("TERMS", has_first_sync_default_value=True, first_sync_default_value="NET14"),
        _row(
            "LIMIT",
            FieldType.Double,
            prompt_user=True,
            has_first_sync_default_value=True,
            first_sync_default_value="[F:1.0]",
        ),
        _row("CODE", prompt_user=True, mandatory=True),
        _row("NOTE", has_first_sync_default_value=True, first_sync_default_value="from the default"),
        _row(
            "BALANCE",
            FieldType.Double,
            access=FieldAccess.ReadOnly.value,
            has_first_sync_default_value=True,
            first_sync_default_value="[F:9.0]",
        ),
    ]
    note = _mapped("NOTE", "department", FieldType.Text)
    new = build_new_actor(rows, [NAME, note], _company(name="Acme AS", department=None), {"CODE": "A1"})
    # A blank CRM value leaves the default; a read-only field never gets one.
    assert new.field_values == {
        "NAME": "Acme AS",
        "TERMS": "NET14",
        "LIMIT": "[F:1.0]",
        "CODE": "A1",
        "NOTE": "from the default",
    }
    assert new.from_crm == {"NAME": "Acme AS"}
    with pytest.raises(InvalidInput) as refused:
        build_new_actor(rows, [NAME], _company(name=None), {"LIMIT": ""})
    assert refused.value.errors == {
        "ErpFieldKeyValues.NAME": "Name is mandatory",
        "ErpFieldKeyValues.CODE": "Code is mandatory",
    }


def test_restrictions_are_checked_and_made_canonical() -> None:
    rows = [_row("NAME", searchable=True), _row("COUNTRY", FieldType.List, searchable=True)]
    checked = check_restrictions(
        rows,
        [
            SearchRestriction(field_key="NAME", operator="BeGiNs", values=["ac"]),
            SearchRestriction(field_key="COUNTRY", operator="in", values=["NO", "SE"]),
            SearchRestriction(field_key="ParentErpKey", operator="=", values=["17"]),
        ],
    )
    assert [r.operator for r in checked] == ["begins", "oneof", "="]
    with pytest.raises(InvalidInput) as refused:
        check_restrictions(rows, [SearchRestriction(field_key="COUNTRY", operator="oneof", values=[])])
    assert refused.value.errors == {"Restrictions.0": "oneof takes one or more values"}


def test_result_columns_put_names_first() -> None:
    rows = [
        _row("CITY", show_in_search=True),
        _row("LASTNAME"),
        _row("TITLE", crm_field_key="name"),
        _row("PIN", FieldType.Password, show_in_search=True),
        _row("NOTE"),
    ]
    assert [row.erp_field_key for row in result_columns(rows)] == ["LASTNAME", "TITLE", "CITY"]
