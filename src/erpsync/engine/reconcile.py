"""Reconciling one link: both sides' current values and the base in, what to write where out.

Plain functions over plain data. The merge itself is :func:`erpsync.engine.merge.decide_field`;
this module turns a CRM record and an ERP actor into the values it compares (everything in the
ERP's normalised wire form), picks the conflict winner by the connection's policy, and handles the
fields that cannot be translated (skipped with a warning, never guessed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from erpsync.crm.texts import _
from erpsync.crm.values import FieldValue
from erpsync.hub.field_values import MappedField, crm_as_erp, erp_as_crm, normal_erp
from erpsync.protocol.timestamps import as_datetime

from .merge import Action, Side, decide_field

__all__ = ["FieldChange", "Mode", "Resolution", "conflict_winner", "resolve"]


class Mode(StrEnum):
    #: The three-way merge against the base.
    sync = "sync"
    #: Resync: the CRM's value wherever it differs, timestamps and base ignored.
    force_to_erp = "force_to_erp"
    #: Resync from a connection: the ERP's value into the CRM wherever it differs.
    force_to_crm = "force_to_crm"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field written by the engine (for the sync log)."""

    field: MappedField
    target_is_crm: bool
    old_value: FieldValue | str
    new_value: FieldValue | str
    conflict: bool = False
    #: In a conflict: the losing side's value, in its own form.
    losing_value: FieldValue | str = None


@dataclass(slots=True)
class Resolution:
    """What reconciling one link decided."""

    #: CRM field key → value to write into the CRM.
    crm_values: dict[str, FieldValue] = field(default_factory=dict)
    #: ERP field key → wire value to write into the ERP.
    erp_values: dict[str, str] = field(default_factory=dict)
    #: The link's base after the writes (every field both sides now agree on).
    base: dict[str, str] = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)
    #: (field, message): fields skipped because a value could not be translated.
    warnings: list[tuple[MappedField, str]] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.crm_values or self.erp_values)


def conflict_winner(
    policy: str, erp_last_modified: str, crm_updated_at: datetime | None, crm_first: bool
) -> Side:
    """The side a conflict goes to: fixed by the policy, or the later change under ``newest`` when
    the connector's timestamps are date-times, else the side first in the sync priority."""
    if policy == "erp":
        return Side.erp
    if policy == "crm":
        return Side.crm
    erp_time = as_datetime(erp_last_modified)
    if erp_time is not None and crm_updated_at is not None and erp_time != crm_updated_at:
        return Side.erp if erp_time > crm_updated_at else Side.crm
    return Side.crm if crm_first else Side.erp


def _blank(value: str) -> bool:
    return value == ""


def resolve(
    fields: list[MappedField],
    base: Mapping[str, str],
    crm_values: Mapping[str, FieldValue],
    erp_values: Mapping[str, str],
    winner: Side | Callable[[], Side],
    no_blank_values: bool = False,
    mode: Mode = Mode.sync,
) -> Resolution:
    """Decide every mapped field of one link.

    ``erp_values`` are the actor's wire values; a field the actor did not report is not observed
    on the ERP side (never a change). ``crm_values`` are the record's values by CRM field key.
    ERP values are turned into CRM values only where the ERP side changed or wins, because that is
    the costly direction and most fields of most links are unchanged. ``winner`` may be a function:
    it is then asked only when a field is in conflict.
    """
    out = Resolution(base=dict(base))
    decided: Side | None = winner if isinstance(winner, Side) else None
    for f in fields:
        crm_value = crm_values.get(f.crm_field.key)
        erp_raw = erp_values.get(f.erp_key)
        erp = normal_erp(erp_raw, f.erp_type) if erp_raw is not None else None
        crm, crm_problem = crm_as_erp(f, crm_value)
        old = base.get(f.erp_key)
        erp_value: FieldValue = None
        erp_problem = ""
        if erp is not None and f.to_crm and (erp != old or mode is Mode.force_to_crm):
            assert erp_raw is not None
            erp_value, erp_problem = erp_as_crm(f, erp_raw)
            # A value without a counterpart (e.g. an unmapped list item) skips the field; it waits
            # until the mapping exists or the value goes.
            if erp_problem:
                out.warnings.append((f, _("ERP value not synced: %(problem)s", problem=erp_problem)))
                continue
        if f.to_erp and crm is None and crm_problem:
            out.warnings.append((f, _("CRM value not synced: %(problem)s", problem=crm_problem)))
        if mode is Mode.force_to_erp:
            if f.to_erp and crm is not None and erp is not None and crm != erp:
                if no_blank_values and _blank(crm) and not _blank(erp):
                    continue
                out.erp_values[f.erp_key] = crm
                out.changes.append(FieldChange(f, False, erp, crm))
                out.base[f.erp_key] = crm
            elif crm is not None and crm == erp:
                out.base[f.erp_key] = crm
            continue
        if mode is Mode.force_to_crm:
            if f.to_crm and erp is not None and crm != erp:
                if no_blank_values and _blank(erp) and crm not in (None, ""):
                    continue
                out.crm_values[f.crm_field.key] = erp_value
                out.changes.append(FieldChange(f, True, crm_value, erp_value))
                out.base[f.erp_key] = erp
            elif erp is not None and crm == erp:
                out.base[f.erp_key] = erp
            continue
        if (
            decided is None
            and f.to_crm
            and f.to_erp
            and erp not in (None, old)
            and crm not in (None, old, erp)
        ):
            decided = winner() if callable(winner) else winner
        side = decided if decided is not None else Side.erp  # no conflict: unused
        decision = decide_field(old, erp, crm, f.to_crm, f.to_erp, side, no_blank_values)
        if decision.action is Action.to_crm:
            losing = crm_value if decision.conflict else None
            out.crm_values[f.crm_field.key] = erp_value
            out.changes.append(FieldChange(f, True, crm_value, erp_value, decision.conflict, losing))
        elif decision.action is Action.to_erp:
            assert crm is not None
            out.erp_values[f.erp_key] = crm
            losing_erp = erp if decision.conflict else None
            out.changes.append(FieldChange(f, False, erp, crm, decision.conflict, losing_erp))
        if decision.new_base is not None:
            out.base[f.erp_key] = decision.new_base
    return out
