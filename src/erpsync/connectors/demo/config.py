"""The configuration a demo ERP connection needs, and how its values are read.

The config fields' names and tooltips, and every explanation, come in every language erpsync speaks
(``sdk.languages``): the hub shows each person their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from erpsync.i18n import lazy_gettext
from erpsync.protocol import FieldAccess, FieldMetadata, FieldType
from erpsync.protocol.codec import (
    ValueError_,
    decode,
    decode_bool,
    decode_datetime,
    decode_float,
    decode_int,
    encode_float,
)
from erpsync.sdk.errors import ConfigInvalid
from erpsync.sdk.languages import explain as _
from erpsync.sdk.languages import joined

from .clock import format_timestamp
from .database import database_path

__all__ = ["CONFIG_FIELDS", "DemoConfig", "parse_config"]

_ABOUT = _(
    "The demo ERP is a sandbox bundled with erpsync. The database 'demo' (user admin, password demo) "
    "is created when the connector host starts; make more with: erpsync demo-erp seed --database NAME"
)

#: The connection dialog: uses every config field type.
CONFIG_FIELDS: tuple[FieldMetadata, ...] = (
    FieldMetadata(field_key="About", display_name=_("About"), field_type=FieldType.Label,
                  default_value=_ABOUT, access=FieldAccess.ReadOnly, rank=0),
    FieldMetadata(field_key="Database", display_name=_("Database"),
                  display_description=_("Name of the demo database (a file in <data>/demo-erp/)"),
                  field_type=FieldType.Text, default_value="demo", max_length=64,
                  access=FieldAccess.Mandatory, rank=10),
    FieldMetadata(field_key="Username", display_name=_("User name"), field_type=FieldType.Text,
                  default_value="admin", max_length=64, access=FieldAccess.Mandatory, rank=20),
    FieldMetadata(field_key="Password", display_name=_("Password"), field_type=FieldType.Password,
                  display_description=_("The sandbox database 'demo' uses the password demo"),
                  default_value="demo", access=FieldAccess.Mandatory, rank=30),
    FieldMetadata(field_key="CompanyNo", display_name=_("Company number"),
                  field_type=FieldType.Integer,
                  display_description=_("The ERP company to use; the demo ERP has company 1"),
                  default_value="[I:1]", rank=40),
    FieldMetadata(field_key="DefaultCreditLimit", display_name=_("Default credit limit"),
                  display_description=_("Credit limit of customers created from the CRM"),
                  field_type=FieldType.Double, default_value="[F:10000.0]", rank=50),
    FieldMetadata(field_key="Currency", display_name=_("Default currency"),
                  field_type=FieldType.List,
                  display_description=_("Currency of actors created from the CRM"),
                  list_name="currencies", default_value="NOK", rank=60),
    FieldMetadata(field_key="IncludeInactive", display_name=_("Include inactive actors"),
                  display_description=_("Let searches find actors marked inactive"),
                  field_type=FieldType.Checkbox, default_value="[I:0]", rank=70),
    FieldMetadata(field_key="SyncFrom", display_name=_("Sync changes from"),
                  display_description=_("Ignore actors last changed before this time (UTC)"),
                  field_type=FieldType.Datetime, rank=80),
)  # fmt: skip

_DEMO_COMPANY = 1


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """A connection's config values, decoded."""

    database: str
    path: Path
    username: str
    password: str
    currency: str = ""
    default_credit_limit: float | None = None
    include_inactive: bool = False
    sync_from: str = ""  # a clock tick; "" = no lower bound

    def actor_defaults(self) -> dict[str, str]:
        """Values for fields an actor created through this connection leaves out."""
        defaults = {"CURRENCY": self.currency} if self.currency else {}
        if self.default_credit_limit is not None:
            defaults["CREDITLIMIT"] = encode_float(self.default_credit_limit)
        return defaults


def parse_config(info: Mapping[str, str], data_dir: Path) -> DemoConfig:
    """Decode and check the values; raises :class:`ConfigInvalid` saying what to fix.

    Explanations name fields, never the password's value.
    """
    values: dict[str, str] = {}
    for meta in CONFIG_FIELDS:
        if meta.field_type is FieldType.Label:
            continue
        text = info.get(meta.field_key, "")
        try:
            decode(text, meta.field_type)
        except ValueError_ as exc:
            raise ConfigInvalid(
                _("%(field)s: %(problem)s", field=meta.display_name, problem=str(exc)),
                f"config field {meta.field_key}",
            ) from None
        values[meta.field_key] = text
    missing = [
        m.display_name for m in CONFIG_FIELDS if m.access is FieldAccess.Mandatory and not values[m.field_key]
    ]
    if missing:
        raise ConfigInvalid(_("Please fill in: %(fields)s.", fields=joined(", ", missing)))
    try:
        path = database_path(data_dir, values["Database"])
    except ValueError as exc:
        explanation = lazy_gettext(
            "%(name)r is not a valid demo database name: use letters, digits, '_' and '-' (at most 64)"
        )
        raise ConfigInvalid(_(explanation, name=values["Database"]), str(exc)) from None
    if values["CompanyNo"] and decode_int(values["CompanyNo"]) != _DEMO_COMPANY:
        raise ConfigInvalid(_("The demo ERP has one company, number %(number)s.", number=_DEMO_COMPANY))
    credit = values["DefaultCreditLimit"]
    return DemoConfig(
        database=values["Database"],
        path=path,
        username=values["Username"],
        password=values["Password"],
        currency=values["Currency"],
        default_credit_limit=decode_float(credit) if credit else None,
        include_inactive=bool(values["IncludeInactive"]) and decode_bool(values["IncludeInactive"]),
        sync_from=format_timestamp(decode_datetime(values["SyncFrom"])) if values["SyncFrom"] else "",
    )
