"""The three-way field merge (ARCHITECTURE §3.3), as plain functions over plain values.

Every value here is in the ERP's wire encoding (CRM values are converted before they get here), so
"equal" means equal on the wire. Per field and link the engine knows the **base** (the value both
sides agreed on at the last sync), the ERP's current value and the CRM's current value; ``None``
means "not observed in this cycle" (that side did not report the field), which is never a change.

- Only one side differs from the base → that side wins, if the field's direction allows it.
- Both differ and agree with each other → nothing to write; the base moves.
- Both differ and disagree → a conflict; the connection's policy picks the winner and the loser is
  reported so the caller can log it.
- Equal-to-base values are never written: no no-op writes and no echoes.
- With *no blank values*, a blank winner never overwrites a non-blank value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Action", "Decision", "Side", "decide_field"]


class Side(StrEnum):
    erp = "erp"
    crm = "crm"


class Action(StrEnum):
    none = "none"
    to_crm = "to_crm"  # write the ERP's value into the CRM
    to_erp = "to_erp"  # write the CRM's value into the ERP
    skip_blank = "skip_blank"  # a blank would have overwritten a value; left alone


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    #: The value the field holds on both sides afterwards (the new base); ``None`` = keep the old base.
    new_base: str | None
    conflict: bool = False
    #: In a conflict, the side that lost and its value (for the sync log).
    loser: Side | None = None
    losing_value: str | None = None


_NOTHING = Decision(Action.none, None)


def _changed(value: str | None, base: str | None) -> bool:
    return value is not None and value != base


def _write(action: Action, value: str, other: str | None, no_blank_values: bool) -> Decision:
    if no_blank_values and value == "" and other not in (None, ""):
        return Decision(Action.skip_blank, None)
    return Decision(action, value)


def decide_field(
    base: str | None,
    erp: str | None,
    crm: str | None,
    to_crm: bool,
    to_erp: bool,
    conflict_winner: Side,
    no_blank_values: bool = False,
) -> Decision:
    """What to do with one mapped field of one link.

    ``conflict_winner`` is the side the connection's policy picks *if* both sides changed; the caller
    computes it (newest timestamp, or priority, or a fixed side), because only it knows the clocks.
    """
    erp_changed = to_crm and _changed(erp, base)
    crm_changed = to_erp and _changed(crm, base)
    if erp_changed and crm_changed:
        assert erp is not None
        assert crm is not None
        if erp == crm:
            return Decision(Action.none, erp)
        if conflict_winner is Side.erp:
            decision = _write(Action.to_crm, erp, crm, no_blank_values)
            loser, losing = Side.crm, crm
        else:
            decision = _write(Action.to_erp, crm, erp, no_blank_values)
            loser, losing = Side.erp, erp
        if decision.action is Action.skip_blank:
            return decision
        return Decision(decision.action, decision.new_base, conflict=True, loser=loser, losing_value=losing)
    if erp_changed:
        assert erp is not None
        if crm == erp:  # the CRM already holds it (e.g. written by another path): just move the base
            return Decision(Action.none, erp)
        return _write(Action.to_crm, erp, crm, no_blank_values)
    if crm_changed:
        assert crm is not None
        if erp == crm:
            return Decision(Action.none, crm)
        return _write(Action.to_erp, crm, erp, no_blank_values)
    return _NOTHING
