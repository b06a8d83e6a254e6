"""Which CRM field may sync with which ERP field, and in which direction (ARCHITECTURE §3.2).

Both ways only between the same kind; one way only from a narrower kind to text; Password and
Label fields never sync; a read-only ERP field cannot be written from the CRM, a read-only CRM field
cannot be written from the ERP. Plain data in, plain answers out — the mapping dialog shows
``reason`` as the tooltip of a disabled direction button.
"""

from __future__ import annotations

from dataclasses import dataclass

from erpsync.crm.catalogue import CrmField, FieldKind
from erpsync.crm.texts import _
from erpsync.protocol import FieldAccess, FieldType

__all__ = ["SAME_KIND", "Directions", "allowed_directions", "crm_fields_for"]

#: ERP field type ↔ CRM kind that sync both ways.
SAME_KIND: dict[FieldType, FieldKind] = {
    FieldType.Text: FieldKind.text,
    FieldType.Integer: FieldKind.integer,
    FieldType.Double: FieldKind.double,
    FieldType.Checkbox: FieldKind.checkbox,
    FieldType.Datetime: FieldKind.date,
    FieldType.List: FieldKind.list,
}

_NARROW_ERP = frozenset({FieldType.Integer, FieldType.Double, FieldType.Datetime, FieldType.Checkbox})
_NARROW_CRM = frozenset({FieldKind.integer, FieldKind.double, FieldKind.date, FieldKind.checkbox})


@dataclass(frozen=True, slots=True)
class Directions:
    to_crm: bool
    to_erp: bool
    to_crm_reason: str = ""
    to_erp_reason: str = ""

    @property
    def any(self) -> bool:
        return self.to_crm or self.to_erp


def _kind_directions(erp_type: FieldType, crm_kind: FieldKind) -> tuple[bool, bool]:
    if SAME_KIND.get(erp_type) is crm_kind:
        return True, True
    to_crm = erp_type in _NARROW_ERP and crm_kind is FieldKind.text
    to_erp = crm_kind in _NARROW_CRM and erp_type is FieldType.Text
    return to_crm, to_erp


def allowed_directions(
    erp_type: FieldType, erp_access: FieldAccess, crm_field: CrmField | None
) -> Directions:
    """The directions an ERP field may sync with ``crm_field``, with the reason for each refusal."""
    if erp_type in (FieldType.Password, FieldType.Label):
        reason = _("%(type)s fields never sync.", type=erp_type.value)
        return Directions(False, False, reason, reason)
    if crm_field is None:
        reason = _("Choose a CRM field first.")
        return Directions(False, False, reason, reason)
    if not crm_field.syncable:
        reason = _("The CRM field %(field)s cannot be synced.", field=crm_field.label)
        return Directions(False, False, reason, reason)
    to_crm, to_erp = _kind_directions(erp_type, crm_field.kind)
    mismatch = (
        ""
        if to_crm and to_erp
        else _(
            "A %(erp_type)s ERP field and a %(crm_kind)s CRM field are not compatible in this direction.",
            erp_type=erp_type.value,
            crm_kind=crm_field.kind.value,
        )
    )
    to_crm_reason = "" if to_crm else mismatch
    to_erp_reason = "" if to_erp else mismatch
    if to_crm and crm_field.read_only:
        to_crm, to_crm_reason = False, _("The CRM field %(field)s is read-only.", field=crm_field.label)
    if to_erp and erp_access is FieldAccess.ReadOnly:
        to_erp, to_erp_reason = False, _("The ERP field is read-only.")
    return Directions(to_crm, to_erp, to_crm_reason, to_erp_reason)


def crm_fields_for(
    erp_type: FieldType, erp_access: FieldAccess, fields: tuple[CrmField, ...]
) -> list[CrmField]:
    """The CRM fields the mapping dialog offers for an ERP field: those with at least one direction."""
    return [f for f in fields if allowed_directions(erp_type, erp_access, f).any]
