"""The administrator's rules as plain functions: no database, no connector."""

from __future__ import annotations

import pytest

from erpsync.crm.catalogue import CrmActorType, CrmEntity, field
from erpsync.hub.activation import ActorTypeFacts, FieldFacts, activation_reasons
from erpsync.hub.connection_config import build_config, config_unchanged
from erpsync.hub.connections import AccessEntry, merge_access
from erpsync.hub.defaults import DefaultValueSettings, default_value_errors
from erpsync.hub.discovery import FieldState, refresh_fields
from erpsync.hub.engine_settings import timespan
from erpsync.hub.list_mappings import ItemChoice, list_mapping_errors
from erpsync.hub.lookups import redact
from erpsync.hub.mappings import MappingChoice, mapping_errors
from erpsync.hub.priorities import normalised_priorities, priority_problems
from erpsync.hub.ranking import moved
from erpsync.protocol import FieldAccess, FieldMetadata, FieldType

T, L, P = FieldType.Text, FieldType.List, FieldType.Password
N, M, R = FieldAccess.Normal, FieldAccess.Mandatory, FieldAccess.ReadOnly

# -- activation -------------------------------------------------------------------------------------


def _field(
    key: str, kind: FieldType = T, access: FieldAccess = N, crm: str = "", **more: object
) -> FieldFacts:
    entity = CrmEntity.person if key in {"FIRSTNAME", "LASTNAME"} else CrmEntity.company
    crm_field = field(entity, crm) if crm else None
    return FieldFacts(key, key.title(), kind, access, crm, crm_field, **more)  # type: ignore[arg-type]


def _customer(*fields: FieldFacts, active: bool = True) -> ActorTypeFacts:
    return ActorTypeFacts("Customer", CrmActorType.Contact, active, fields)


def _person(*fields: FieldFacts, active: bool = True) -> ActorTypeFacts:
    return ActorTypeFacts("Person", CrmActorType.Person, active, fields)


NAME_SYNCED = _field("NAME", access=M, crm="name", sync_to_crm=True, sync_to_erp=True)


def test_a_clean_set_up_may_be_activated() -> None:
    assert activation_reasons([_customer(NAME_SYNCED)], {}) == []


def test_nothing_active_is_the_only_reason_given() -> None:
    reasons = activation_reasons([_customer(_field("NAME", access=M), active=False)], {})
    assert len(reasons) == 1
    assert "No actor type is active" in reasons[0]


def test_a_mandatory_field_of_an_active_type_needs_a_direction() -> None:
    reasons = activation_reasons([_customer(_field("NAME", access=M, crm="name"))], {})
    assert reasons == ["Customer: the ERP field Name (NAME) is mandatory and needs a sync direction."]


def test_inactive_types_are_not_checked() -> None:
    inactive = ActorTypeFacts("Supplier", CrmActorType.Contact, False, (_field("NAME", access=M),))
    assert activation_reasons([_customer(NAME_SYNCED), inactive], {}) == []


def test_persons_need_an_active_company_type() -> None:
    person = _person(_field("LASTNAME", access=M, crm="last_name", sync_to_crm=True))
    reasons = activation_reasons([_customer(NAME_SYNCED, active=False), person], {})
    assert reasons == ["Persons sync only with their companies: activate Customer, Supplier or Partner too."]
    assert activation_reasons([_customer(NAME_SYNCED), person], {}) == []


def test_a_synced_list_field_needs_every_erp_item_mapped() -> None:
    country = _field("COUNTRY", L, crm="country", sync_to_crm=True, unmapped_erp_items=tuple("ABCDEFG"))
    (reason,) = activation_reasons([_customer(NAME_SYNCED, country)], {})
    assert "list field Country (COUNTRY) syncs" in reason
    assert "A, B, C, D, E and 2 more" in reason
    complete = _field("COUNTRY", L, crm="country", sync_to_crm=True)
    assert activation_reasons([_customer(NAME_SYNCED, complete)], {}) == []


def test_a_direction_no_longer_allowed_is_a_reason() -> None:
    # The connector turned CUSTOMERNO read-only after it was mapped CRM→ERP.
    number = _field("CUSTOMERNO", T, R, crm="code", sync_to_erp=True)
    (reason,) = activation_reasons([_customer(NAME_SYNCED, number)], {})
    assert "cannot sync from the CRM field Code" in reason
    assert "read-only" in reason


def test_incompatible_kinds_are_a_reason() -> None:
    mismatch = _field("COUNTRY", T, crm="country", sync_to_crm=True)
    (reason,) = activation_reasons([_customer(NAME_SYNCED, mismatch)], {})
    assert "not compatible" in reason


def test_a_crm_field_written_from_two_erps_is_a_reason() -> None:
    reasons = activation_reasons([_customer(NAME_SYNCED)], {("Contact", "name"): "Other ERP"})
    assert reasons == [
        "Customer: the CRM field Name is already written from the ERP by the active connection 'Other ERP'; "
        "only one connection may write a CRM field."
    ]
    writes_erp_only = _field("NAME", access=M, crm="name", sync_to_erp=True)
    assert activation_reasons([_customer(writes_erp_only)], {("Contact", "name"): "Other ERP"}) == []


def test_missing_fields_with_a_direction_are_reasons() -> None:
    gone = _field("OLDKEY", crm="fax", sync_to_crm=True, missing_in_erp=True)
    gone_crm = FieldFacts("FAX", "Fax", T, N, "telefax", None, sync_to_crm=True)
    reasons = activation_reasons([_customer(NAME_SYNCED, gone, gone_crm)], {})
    assert reasons == [
        "Customer: the connector no longer offers the ERP field Oldkey (OLDKEY); remove its sync direction.",
        "Customer: the CRM field 'telefax' mapped to Fax (FAX) no longer exists.",
    ]


# -- field mapping ----------------------------------------------------------------------------------


def _choice(
    key: str, kind: FieldType = T, access: FieldAccess = N, crm: str = "", **more: object
) -> MappingChoice:
    return MappingChoice(key, key.title(), kind, access, False, crm, **more)  # type: ignore[arg-type]


def _errors(*choices: MappingChoice, elsewhere: dict[str, str] | None = None) -> dict[str, str]:
    return mapping_errors(CrmEntity.company, choices, [c.erp_field_key for c in choices], elsewhere or {})


def test_a_valid_mapping_has_no_errors() -> None:
    assert (
        _errors(
            _choice("NAME", crm="name", sync_to_crm=True, sync_to_erp=True),
            _choice("BALANCE", show_in_gui=True),
        )
        == {}
    )


def test_a_direction_needs_a_crm_field() -> None:
    assert _errors(_choice("NAME", sync_to_crm=True)) == {
        "NAME": "Choose a CRM field before setting a sync direction."
    }


def test_a_disallowed_direction_is_refused_with_its_reason() -> None:
    errors = _errors(_choice("CUSTOMERNO", T, R, crm="code", sync_to_erp=True))
    assert errors == {"CUSTOMERNO": "It cannot sync to the ERP: The ERP field is read-only."}


def test_an_incompatible_crm_field_is_refused() -> None:
    errors = _errors(_choice("CREDITSTOP", FieldType.Checkbox, crm="country"))
    assert "cannot be mapped to it" in errors["CREDITSTOP"]


def test_sync_and_show_in_erp_tab_exclude_each_other() -> None:
    errors = _errors(_choice("NAME", crm="name", sync_to_crm=True, show_in_gui=True))
    assert "cannot also be shown in the ERP tab" in errors["NAME"]


def test_a_crm_field_is_mapped_to_one_erp_field_per_actor_type() -> None:
    errors = _errors(_choice("NAME", crm="name"), _choice("NAME2", crm="name"))
    assert set(errors) == {"NAME", "NAME2"}
    assert "also mapped to Name2 (NAME2)" in errors["NAME"]


def test_already_mapped_refuses_writing_to_the_crm_only() -> None:
    elsewhere = {"name": "Other ERP"}
    refused = _errors(_choice("NAME", crm="name", sync_to_crm=True), elsewhere=elsewhere)
    assert "already written from the ERP by the active connection 'Other ERP'" in refused["NAME"]
    assert _errors(_choice("NAME", crm="name", sync_to_erp=True), elsewhere=elsewhere) == {}


def test_password_fields_are_never_shown_nor_synced() -> None:
    errors = _errors(_choice("WEBSHOP_PASSWORD", P, show_in_gui=True), _choice("PIN", P, crm="fax"))
    assert errors["WEBSHOP_PASSWORD"] == "Password fields are never shown."
    assert "Password fields never sync" in errors["PIN"]


def test_an_unknown_crm_field_is_refused_but_a_vanished_one_may_be_kept_without_direction() -> None:
    assert "The CRM has no company field 'nope'" in _errors(_choice("X", crm="nope"))["X"]
    kept = _choice("X", crm="telefax", stored_crm_field_key="telefax")
    assert _errors(kept) == {}
    synced = _choice("X", crm="telefax", stored_crm_field_key="telefax", sync_to_crm=True)
    assert "no longer exists" in _errors(synced)["X"]


def test_only_the_checked_fields_report() -> None:
    stale = _choice("OLD", crm="name", sync_to_crm=True, show_in_gui=True)
    assert mapping_errors(CrmEntity.company, [stale, _choice("NEW", crm="fax")], ["NEW"], {}) == {}


# -- list mapping -----------------------------------------------------------------------------------

ERP_ITEMS = {"NO": "Norway", "SE": "Sweden", "DK": "Denmark"}
CRM_ITEMS = {1: "Norway", 2: "Sweden", 3: "Denmark"}


def test_a_one_to_one_list_mapping_is_accepted_with_unmapped_items() -> None:
    choices = [ItemChoice("NO", 1), ItemChoice("SE", 2), ItemChoice("DK", None)]
    assert list_mapping_errors(choices, ERP_ITEMS, CRM_ITEMS) == []


def test_a_crm_item_chosen_twice_is_refused_naming_the_duplicates() -> None:
    problems = list_mapping_errors([ItemChoice("NO", 1), ItemChoice("SE", 1)], ERP_ITEMS, CRM_ITEMS)
    assert problems == [
        "The CRM item 'Norway' is chosen for several ERP items (NO, SE); each CRM item may be chosen once."
    ]


def test_unknown_items_and_repeated_erp_items_are_refused() -> None:
    problems = list_mapping_errors(
        [ItemChoice("XX", 1), ItemChoice("NO", 99), ItemChoice("SE", 2), ItemChoice("SE", None)],
        ERP_ITEMS,
        CRM_ITEMS,
    )
    assert problems == [
        "The ERP list has no item 'XX'.",
        "The CRM list has no item with id 99 to choose.",
        "The ERP item 'SE' is listed twice.",
    ]


# -- defaults ---------------------------------------------------------------------------------------


def _default(
    kind: FieldType = T, access: FieldAccess = N, max_length: int = 0, **settings: object
) -> dict[str, str]:
    return default_value_errors(kind, access, max_length, DefaultValueSettings(**settings))  # type: ignore[arg-type]


def test_mandatory_needs_a_default_or_a_prompt() -> None:
    assert _default(mandatory=True) == {
        "Mandatory": "A mandatory field needs a default value or Ask the user (or both)."
    }
    assert _default(mandatory=True, prompt_user=True) == {}
    assert _default(mandatory=True, has_first_sync_default_value=True, first_sync_default_value="x") == {}
    assert "Mandatory" in _default(
        mandatory=True, has_first_sync_default_value=True, first_sync_default_value=""
    )


def test_a_connector_mandatory_field_needs_neither() -> None:
    assert _default(access=M, mandatory=True) == {}


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        (FieldType.Checkbox, "[I:1]", True),
        (FieldType.Checkbox, "yes", False),
        (FieldType.Integer, "[I:30]", True),
        (FieldType.Integer, "30", False),
        (FieldType.Double, "[F:7500.5]", True),
        (FieldType.Double, "lots", False),
        (FieldType.Datetime, "[DT:12/31/2026 00:00:00.0000000]", True),
        (FieldType.Datetime, "2026-12-31", False),
        (T, "anything", True),
    ],
)
def test_a_default_is_encoded_for_its_field_type(kind: FieldType, value: str, ok: bool) -> None:
    errors = _default(kind, has_first_sync_default_value=True, first_sync_default_value=value)
    assert (errors == {}) is ok


def test_defaults_respect_max_length_and_refuse_passwords_labels_and_read_only_fields() -> None:
    assert (
        "longer than 3"
        in _default(max_length=3, has_first_sync_default_value=True, first_sync_default_value="abcd")[
            "FirstSyncDefaultValue"
        ]
    )
    assert _default(P, prompt_user=True) == {
        "FirstSyncDefaultValue": "Password fields take no default value."
    }
    assert _default(FieldType.Label, has_first_sync_default_value=True) != {}
    assert "read-only" in _default(T, R, prompt_user=True)["FirstSyncDefaultValue"]


# -- rank and priority ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (0, [1, 2, 3, 4]),
        (1, [1, 3, 2, 4]),
        (-1, [2, 1, 3, 4]),
        (2, [1, 3, 4, 2]),
        (99, [1, 3, 4, 2]),
        (-99, [2, 1, 3, 4]),
    ],
)
def test_rank_moves_stop_at_the_ends(steps: int, expected: list[int]) -> None:
    assert moved([1, 2, 3, 4], 2, steps) == expected


def test_priorities_name_the_crm_and_every_connection_once() -> None:
    assert priority_problems([3, 0, 5], [3, 5]) == []
    assert priority_problems([3, 3, 9], [3, 5]) == [
        "Listed more than once: 3.",
        "Not a connection: 9.",
        "Missing: 0 (the CRM), 5.",
    ]


def test_stored_priorities_drop_gone_connections_and_add_new_ones_last() -> None:
    assert normalised_priorities("7;5;0;x;5", [3, 5]) == [5, 0, 3]
    assert normalised_priorities("", []) == [0]


def test_intervals_read_as_timespans() -> None:
    assert [timespan(60), timespan(3600 * 25 + 61)] == ["00:01:00", "1.01:01:01"]


# -- config values ----------------------------------------------------------------------------------

FIELDS = [
    FieldMetadata(field_key="About", field_type=FieldType.Label, default_value="text", rank=0),
    FieldMetadata(field_key="Database", access=M, default_value="demo", max_length=5, rank=1),
    FieldMetadata(field_key="Password", field_type=P, access=M, default_value="", rank=2),
    FieldMetadata(field_key="CompanyNo", field_type=FieldType.Integer, default_value="[I:1]", rank=3),
    FieldMetadata(field_key="Fixed", access=R, default_value="fixed", rank=4),
]


def test_a_new_config_takes_defaults_and_leaves_labels_out() -> None:
    draft = build_config(FIELDS, {"Password": "pw", "Fixed": "changed"}, None)
    assert draft.values == {"Database": "demo", "Password": "pw", "CompanyNo": "[I:1]", "Fixed": "fixed"}
    assert draft.secret_keys == {"Password"}
    assert draft.errors == {}


def test_config_problems_name_fields_never_values() -> None:
    draft = build_config(FIELDS, {"Database": "toolong", "CompanyNo": "1", "Nope": "x", "Password": ""}, None)
    assert draft.errors == {
        "ConfigFields.Nope": "is not a config field of this connector",
        "ConfigFields.Database": "is longer than 5 characters",
        "ConfigFields.Password": "is mandatory: fill it in",
        "ConfigFields.CompanyNo": "is not a valid Integer value",
    }


def test_a_masked_or_empty_password_keeps_the_stored_one() -> None:
    stored = {"Database": "erp", "Password": "secret", "CompanyNo": "[I:1]", "Fixed": "fixed"}
    assert build_config(FIELDS, {"Password": "********"}, stored).values["Password"] == "secret"
    assert build_config(FIELDS, {"Password": ""}, stored).values["Password"] == "secret"
    assert build_config(FIELDS, {"Password": "new"}, stored).values["Password"] == "new"
    assert build_config(FIELDS, {}, stored).values == stored
    masked_new = build_config(FIELDS, {"Password": "********"}, None)
    assert masked_new.errors == {
        "ConfigFields.Password": "there is no stored password to keep: type the password"
    }


def test_unchanged_config_is_recognised_without_the_connector() -> None:
    stored = {"Database": "erp", "Password": "secret"}
    assert config_unchanged({"Database": "erp", "Password": "********"}, stored, frozenset({"Password"}))
    assert config_unchanged({}, stored, frozenset({"Password"}))
    assert not config_unchanged({"Database": "other"}, stored, frozenset({"Password"}))
    assert not config_unchanged({"Password": "new"}, stored, frozenset({"Password"}))


def test_redaction_masks_every_secret() -> None:
    assert (
        redact("login pw123 refused for pw123x", {"pw123", "pw123x", ""})
        == "login ******** refused for ********"
    )


def test_access_listed_twice_gets_both_permissions() -> None:
    merged = merge_access(
        [AccessEntry(user_id=1, can_create_erp=False), AccessEntry(user_id=1, can_connect=False)]
    )
    assert merged == [AccessEntry(user_id=1, can_connect=True, can_create_erp=True)]


# -- discovery --------------------------------------------------------------------------------------


def _meta(key: str, kind: FieldType = T, rank: int = 0, access: FieldAccess = N) -> FieldMetadata:
    return FieldMetadata(field_key=key, field_type=kind, rank=rank, access=access)


def test_first_discovery_maps_automatically_without_direction_in_rank_order() -> None:
    announced = [_meta("CUSTOMERNO", rank=20, access=R), _meta("NAME", rank=10), _meta("WEBSHOP", P, rank=5),
                 _meta("Country", L, rank=30), _meta("BALANCE", FieldType.Double, rank=40)]  # fmt: skip
    states = refresh_fields(CrmEntity.company, [], announced, {"NAME"})
    assert [(s.erp_field_key, s.rank, s.crm_field_key) for s in states] == [
        ("WEBSHOP", 0, None),
        ("NAME", 1, "name"),
        ("CUSTOMERNO", 2, None),
        ("Country", 3, "country"),  # keys compare case-insensitively
        ("BALANCE", 4, None),
    ]
    assert not any(s.sync_to_crm or s.sync_to_erp for s in states)
    assert [s.searchable for s in states] == [False, True, False, False, False]


def test_rediscovery_keeps_settings_marks_missing_and_appends_new_fields() -> None:
    known = [
        FieldState("NAME", crm_field_key="name", sync_to_crm=True, sync_to_erp=True, rank=0),
        FieldState("OLD", crm_field_key="fax", sync_to_crm=True, show_in_gui=True, rank=1),
        FieldState("EMAIL", crm_field_key="", rank=2),  # the administrator chose "no CRM field"
        FieldState("GONE_CRM", crm_field_key="telefax", rank=3),
    ]
    announced = [_meta("NAME"), _meta("EMAIL"), _meta("GONE_CRM"), _meta("PHONE", rank=99)]
    states = {s.erp_field_key: s for s in refresh_fields(CrmEntity.company, known, announced, set())}
    assert (states["NAME"].crm_field_key, states["NAME"].sync_to_crm, states["NAME"].sync_to_erp) == (
        "name",
        True,
        True,
    )
    old = states["OLD"]
    assert (old.missing_in_erp, old.sync_to_crm, old.show_in_gui, old.crm_field_key) == (
        True,
        False,
        False,
        "fax",
    )
    assert states["EMAIL"].crm_field_key == ""  # not mapped again automatically
    assert states["GONE_CRM"].missing_in_crm
    assert (states["PHONE"].crm_field_key, states["PHONE"].rank) == ("phone", 4)


def test_automatic_mapping_skips_incompatible_and_taken_fields() -> None:
    announced = [_meta("NAME", L), _meta("PHONE")]
    known = [FieldState("MAINPHONE", crm_field_key="phone")]
    states = {s.erp_field_key: s for s in refresh_fields(CrmEntity.company, known, announced, set())}
    assert states["NAME"].crm_field_key is None  # a list cannot sync with a text field
    assert states["PHONE"].crm_field_key is None  # phone is taken by MAINPHONE
