"""The demo ERP's built-in list catalogue.

Every new database is filled from this catalogue (tests and admins may add items later). The
catalogue itself answers ``GetList`` while a connection is being defined and no database is known
yet (the all-zero GUID).
"""

from __future__ import annotations

from collections.abc import Mapping

from erpsync.protocol import ListItem
from erpsync.sdk.errors import UnknownList
from erpsync.sdk.languages import explain as _

__all__ = ["CATALOGUE", "LIST_NAMES", "catalogue_items"]

#: List name → (item key, display text), in display order.
CATALOGUE: Mapping[str, tuple[tuple[str, str], ...]] = {
    "paymentterms": (
        ("NET10", "10 days net"),
        ("NET14", "14 days net"),
        ("NET30", "30 days net"),
        ("NET45", "45 days net"),
        ("NET60", "60 days net"),
        ("EOM30", "30 days after end of month"),
        ("PREPAID", "Prepayment"),
        ("COD", "Cash on delivery"),
    ),
    "currencies": (
        ("NOK", "Norwegian krone"),
        ("SEK", "Swedish krona"),
        ("DKK", "Danish krone"),
        ("EUR", "Euro"),
        ("USD", "US dollar"),
        ("GBP", "Pound sterling"),
        ("CHF", "Swiss franc"),
        ("PLN", "Polish zloty"),
        ("ISK", "Icelandic krona"),
        ("JPY", "Japanese yen"),
    ),
    "countries": (
        ("NO", "Norway"),
        ("SE", "Sweden"),
        ("DK", "Denmark"),
        ("FI", "Finland"),
        ("IS", "Iceland"),
        ("DE", "Germany"),
        ("NL", "Netherlands"),
        ("BE", "Belgium"),
        ("FR", "France"),
        ("GB", "United Kingdom"),
        ("IE", "Ireland"),
        ("ES", "Spain"),
        ("IT", "Italy"),
        ("PL", "Poland"),
        ("CH", "Switzerland"),
        ("AT", "Austria"),
        ("US", "United States"),
        ("CA", "Canada"),
        ("JP", "Japan"),
        ("AU", "Australia"),
    ),
    "customercategories": (
        ("retail", "Retail"),
        ("wholesale", "Wholesale"),
        ("public", "Public sector"),
        ("education", "Education"),
        ("healthcare", "Healthcare"),
        ("key", "Key account"),
    ),
    "projectstatus": (
        ("planned", "Planned"),
        ("open", "In progress"),
        ("onhold", "On hold"),
        ("completed", "Completed"),
        ("cancelled", "Cancelled"),
    ),
}

LIST_NAMES = tuple(CATALOGUE)


def catalogue_items(list_name: str) -> list[ListItem]:
    """The built-in items of ``list_name``; raises :class:`UnknownList` for a name we do not have."""
    items = CATALOGUE.get(list_name)
    if items is None:
        raise UnknownList(
            _("The demo ERP has no list called %(list)r.", list=list_name),
            f"known lists: {', '.join(LIST_NAMES)}",
        )
    return [ListItem(key=key, display_value=text) for key, text in items]
