"""The configuration a Tryton connection needs, and how its values are read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from erpsync.protocol import FieldAccess, FieldMetadata, FieldType
from erpsync.sdk.errors import ConfigInvalid
from erpsync.sdk.languages import explain as _
from erpsync.sdk.languages import joined

__all__ = ["CONFIG_FIELDS", "TrytonConfig", "parse_config"]

_ABOUT = _(
    "Connects to a Tryton server over its JSON-RPC API. Customers and suppliers are parties in the "
    "role categories below; contact persons are parties related to a company by the contact relation "
    "(module party_relationship); projects are project.work records of the company."
)

CONFIG_FIELDS: tuple[FieldMetadata, ...] = (
    FieldMetadata(field_key="About", display_name=_("About"), field_type=FieldType.Label,
                  default_value=_ABOUT, access=FieldAccess.ReadOnly, rank=0),
    FieldMetadata(field_key="ServerUrl", display_name=_("Server URL"),
                  display_description=_("Address of trytond, e.g. https://erp.example.com:8000"),
                  field_type=FieldType.Text, default_value="http://127.0.0.1:8000", max_length=254,
                  access=FieldAccess.Mandatory, rank=10),
    FieldMetadata(field_key="Database", display_name=_("Database"), field_type=FieldType.Text,
                  max_length=64, access=FieldAccess.Mandatory, rank=20),
    FieldMetadata(field_key="Username", display_name=_("User name"), field_type=FieldType.Text,
                  default_value="admin", max_length=64, access=FieldAccess.Mandatory, rank=30),
    FieldMetadata(field_key="Password", display_name=_("Password"), field_type=FieldType.Password,
                  access=FieldAccess.Mandatory, rank=40),
    FieldMetadata(field_key="Company", display_name=_("Company"),
                  display_description=_("The Tryton company (its name or record id) projects and "
                                        "payment terms belong to"), field_type=FieldType.Text, max_length=120,
                  access=FieldAccess.Mandatory, rank=50),
    FieldMetadata(field_key="CustomerCategory", display_name=_("Customer category"),
                  display_description=_("Party category that makes a party a customer"),
                  field_type=FieldType.Text, default_value="Customer", max_length=120, rank=60),
    FieldMetadata(field_key="SupplierCategory", display_name=_("Supplier category"),
                  display_description=_("Party category that makes a party a supplier"),
                  field_type=FieldType.Text, default_value="Supplier", max_length=120, rank=70),
    FieldMetadata(field_key="ContactRelation", display_name=_("Contact relation"),
                  display_description=_("Relation type (party_relationship) from a contact person to "
                                        "its company"),
                  field_type=FieldType.Text, default_value="Employee of", max_length=120, rank=80),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TrytonConfig:
    """A connection's config values, checked. ``repr`` leaves the password out."""

    server_url: str
    database: str
    username: str
    password: str = field(repr=False)
    company: str
    customer_category: str
    supplier_category: str
    contact_relation: str

    @property
    def session_key(self) -> tuple[str, str, str, str]:
        """What identifies one login session (the password included: a new one is a new session)."""
        return (self.server_url, self.database, self.username, self.password)


def parse_config(info: Mapping[str, str]) -> TrytonConfig:
    """Read and check the values; raises :class:`ConfigInvalid` naming the field to fix (never the
    password's value)."""
    values = {m.field_key: info.get(m.field_key, "").strip() for m in CONFIG_FIELDS}
    values["Password"] = info.get("Password", "")  # a password may start or end with a space
    for meta in CONFIG_FIELDS:
        if meta.field_type is FieldType.Text and not values[meta.field_key]:
            values[meta.field_key] = meta.default_value
    missing = [
        m.display_name for m in CONFIG_FIELDS if m.access is FieldAccess.Mandatory and not values[m.field_key]
    ]
    if missing:
        raise ConfigInvalid(_("Please fill in: %(fields)s.", fields=joined(", ", missing)))
    url = values["ServerUrl"].rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigInvalid(
            _("Server URL: %(url)r is not an http:// or https:// address of a Tryton server.", url=url)
        )
    if "/" in values["Database"]:
        raise ConfigInvalid(_("Database: a database name cannot contain '/'."))
    if values["CustomerCategory"] == values["SupplierCategory"]:
        raise ConfigInvalid(_("Customer category and supplier category must be different categories."))
    return TrytonConfig(
        server_url=url,
        database=values["Database"],
        username=values["Username"],
        password=values["Password"],
        company=values["Company"],
        customer_category=values["CustomerCategory"],
        supplier_category=values["SupplierCategory"],
        contact_relation=values["ContactRelation"],
    )
