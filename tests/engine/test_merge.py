"""The three-way field merge."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from erpsync.engine.merge import Action, Side, decide_field


def test_only_erp_changed_goes_to_crm() -> None:
    d = decide_field("a", "b", "a", True, True, Side.crm)
    assert (d.action, d.new_base, d.conflict) == (Action.to_crm, "b", False)


def test_only_crm_changed_goes_to_erp() -> None:
    d = decide_field("a", "a", "c", True, True, Side.erp)
    assert (d.action, d.new_base, d.conflict) == (Action.to_erp, "c", False)


def test_nothing_changed_writes_nothing() -> None:
    d = decide_field("a", "a", "a", True, True, Side.erp)
    assert d.action is Action.none
    assert d.new_base is None


def test_unobserved_side_is_not_a_change() -> None:
    assert decide_field("a", None, "a", True, True, Side.erp).action is Action.none
    assert decide_field("a", None, "b", True, True, Side.erp).action is Action.to_erp


def test_both_changed_to_the_same_value_moves_the_base_only() -> None:
    d = decide_field("a", "z", "z", True, True, Side.erp)
    assert (d.action, d.new_base, d.conflict) == (Action.none, "z", False)


def test_conflict_resolved_by_the_winner_with_the_loser_reported() -> None:
    d = decide_field("a", "e", "c", True, True, Side.erp)
    assert (d.action, d.new_base, d.conflict, d.loser, d.losing_value) == (
        Action.to_crm,
        "e",
        True,
        Side.crm,
        "c",
    )
    d = decide_field("a", "e", "c", True, True, Side.crm)
    assert (d.action, d.new_base, d.conflict, d.loser, d.losing_value) == (
        Action.to_erp,
        "c",
        True,
        Side.erp,
        "e",
    )


def test_direction_limits_what_travels() -> None:
    # ERP → CRM only: a CRM edit never travels and never conflicts.
    assert decide_field("a", "a", "c", True, False, Side.crm).action is Action.none
    d = decide_field("a", "e", "c", True, False, Side.crm)
    assert (d.action, d.conflict) == (Action.to_crm, False)
    # CRM → ERP only.
    assert decide_field("a", "e", "a", False, True, Side.erp).action is Action.none
    d = decide_field("a", "e", "c", False, True, Side.erp)
    assert (d.action, d.conflict) == (Action.to_erp, False)
    # No direction: nothing, ever.
    assert decide_field("a", "e", "c", False, False, Side.erp).action is Action.none


def test_no_blank_values_keeps_non_blank_values() -> None:
    d = decide_field("a", "", "a", True, True, Side.erp, no_blank_values=True)
    assert d.action is Action.skip_blank
    d = decide_field("a", "", "c", True, True, Side.erp, no_blank_values=True)
    assert d.action is Action.skip_blank
    assert decide_field("a", "", "a", True, True, Side.erp).action is Action.to_crm
    assert decide_field("", "x", "", True, True, Side.erp, no_blank_values=True).action is Action.to_crm


def test_first_sync_without_base_is_a_conflict_when_sides_differ() -> None:
    d = decide_field(None, "e", "c", True, True, Side.erp)
    assert d.conflict
    assert d.action is Action.to_crm
    assert decide_field(None, "x", "x", True, True, Side.erp).new_base == "x"


values = st.one_of(st.none(), st.sampled_from(["", "a", "b", "c"]))


@given(values, values, values, st.booleans(), st.booleans(), st.sampled_from(list(Side)), st.booleans())
def test_after_applying_both_sides_agree_or_nothing_was_allowed(
    base: str | None,
    erp: str | None,
    crm: str | None,
    to_crm: bool,
    to_erp: bool,
    winner: Side,
    no_blank: bool,
) -> None:
    d = decide_field(base, erp, crm, to_crm, to_erp, winner, no_blank)
    if d.action is Action.to_crm:
        assert to_crm
        assert d.new_base == erp
        assert erp != crm  # never a no-op write
    if d.action is Action.to_erp:
        assert to_erp
        assert d.new_base == crm
        assert erp != crm
    if d.conflict:
        assert to_crm
        assert to_erp
        assert d.losing_value in (erp, crm)
        assert d.losing_value != d.new_base
    # Applying the decision twice is a no-op: the second run sees both sides equal to the new base.
    if d.new_base is not None and d.action in (Action.to_crm, Action.to_erp):
        again = decide_field(d.new_base, d.new_base, d.new_base, to_crm, to_erp, winner, no_blank)
        assert again.action is Action.none
