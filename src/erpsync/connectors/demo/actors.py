"""The demo ERP's actor types and their fields, declared as data.

Keys follow the automatic field mapping names of the reference (§2.5.3: NAME, POSTALAD1, FIRSTNAME,
ENDDATE …) wherever a CRM counterpart exists, so a new connection comes pre-mapped; the ERP's own
fields (CUSTOMERNO, CREDITLIMIT, BALANCE …) carry names an ERP user would recognise.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from erpsync.protocol import ActorType, FieldAccess, FieldMetadata, FieldType
from erpsync.protocol.codec import ValueError_, decode_bool, decode_float
from erpsync.sdk.errors import UnknownActorType
from erpsync.sdk.languages import explain as _

__all__ = [
    "ACCOUNT_NUMBERS",
    "ACTOR_TYPES",
    "COMPANY_TYPES",
    "FREE_TEXT_FIELDS",
    "PARENT_TYPES",
    "SEARCHABLE_FIELDS",
    "actor_type_of",
    "derived_values",
    "field_map",
    "fields_of",
    "search_text_of",
]

ACTOR_TYPES = (ActorType.Customer, ActorType.Supplier, ActorType.Partner, ActorType.Person, ActorType.Project)
COMPANY_TYPES = frozenset({ActorType.Customer, ActorType.Supplier, ActorType.Partner})
#: Which actor types may be the parent of an actor type (persons belong to companies).
PARENT_TYPES: Mapping[ActorType, frozenset[ActorType]] = {ActorType.Person: COMPANY_TYPES}

#: Account numbers the ERP assigns on create: field key → prefix before the number.
ACCOUNT_NUMBERS: Mapping[ActorType, Mapping[str, str]] = {
    ActorType.Customer: {"CUSTOMERNO": ""},
    ActorType.Supplier: {"SUPPLIERNO": "S"},
    ActorType.Partner: {"CUSTOMERNO": "", "SUPPLIERNO": "S"},
    ActorType.Project: {"NUMBER": "P-"},
}

_N, _M, _R = FieldAccess.Normal, FieldAccess.Mandatory, FieldAccess.ReadOnly
_T = FieldType


def _f(
    key: str,
    name: str,
    field_type: FieldType,
    rank: int,
    description: str = "",
    *,
    access: FieldAccess = _N,
    list_name: str = "",
    default: str = "",
    max_length: int = 0,
) -> FieldMetadata:
    return FieldMetadata(
        field_key=key,
        display_name=name,
        display_description=description,
        field_type=field_type,
        list_name=list_name,
        default_value=default,
        max_length=max_length,
        access=access,
        rank=rank,
    )


_COMPANY_HEAD = (
    _f("NAME", "Name", _T.Text, 10, "Registered company name", access=_M, max_length=120),
    _f("NUMBER1", "Code", _T.Text, 30, "Short code of the company", max_length=40),
    _f("NUMBER2", "CRM number", _T.Text, 40, "The company's number in the CRM", max_length=40),
    _f("DEPARTMENT", "Department", _T.Text, 50, max_length=120),
    _f("PHONE", "Telephone", _T.Text, 60, max_length=40),
    _f("FAX", "Fax", _T.Text, 70, max_length=40),
    _f("EMAIL", "E-mail", _T.Text, 80, "Main e-mail address for invoices and orders", max_length=254),
    _f("URL", "Web site", _T.Text, 90, max_length=254),
    _f("POSTALAD1", "Postal address 1", _T.Text, 100, max_length=80),
    _f("POSTALAD2", "Postal address 2", _T.Text, 110, max_length=80),
    _f("POSTALAD3", "Postal address 3", _T.Text, 120, max_length=80),
    _f("POSTALZIP", "Postal code", _T.Text, 130, max_length=16),
    _f("POSTALCITY", "Postal city", _T.Text, 140, max_length=80),
    _f("STREETAD1", "Street address", _T.Text, 150, max_length=80),
    _f("STREETZIP", "Street postal code", _T.Text, 160, max_length=16),
    _f("STREETCITY", "Street city", _T.Text, 170, max_length=80),
    _f("COUNTRY", "Country", _T.List, 180, list_name="countries", default="NO"),
    _f("VATNO", "VAT number", _T.Text, 190, "Organisation / VAT registration number", max_length=32),
    _f("CURRENCY", "Currency", _T.List, 200, "Currency of invoices", list_name="currencies", default="NOK"),
    _f("PAYMENTTERMS", "Payment terms", _T.List, 210, list_name="paymentterms", default="NET30"),
)

_CUSTOMER_NO = _f("CUSTOMERNO", "Customer number", _T.Text, 20, "Assigned by the ERP", access=_R)
_SUPPLIER_NO = _f("SUPPLIERNO", "Supplier number", _T.Text, 25, "Assigned by the ERP", access=_R)

_RECEIVABLE = (
    _f("CATEGORY", "Customer category", _T.List, 300, list_name="customercategories"),
    _f("CREDITLIMIT", "Credit limit", _T.Double, 310, "Largest open balance allowed", default="[F:0.0]"),
    _f("CREDITSTOP", "Credit stop", _T.Checkbox, 320, "No deliveries until paid", default="[I:0]"),
    _f("DISCOUNT", "Discount %", _T.Integer, 330, "Standard discount in whole percent", default="[I:0]"),
    _f("ACCOUNTSTATUS", "Account status", _T.Label, 340, "Credit standing computed by the ERP", access=_R),
)
_PAYABLE = (
    _f("LEADTIME", "Lead time (days)", _T.Integer, 400, "Usual delivery time in days"),
    _f("PREFERRED", "Preferred supplier", _T.Checkbox, 410, default="[I:0]"),
    _f("BANKACCOUNT", "Bank account", _T.Text, 420, "Account that payments go to", max_length=34),
)
_WEBSHOP = _f(
    "WEBSHOP_PASSWORD",
    "Web shop password",
    _T.Password,
    350,
    "Login of the customer's web shop",
    max_length=64,
)

_TAIL = (
    _f("INACTIVE", "Inactive", _T.Checkbox, 900, "Hidden from searches unless asked for", default="[I:0]"),
    _f("CREATED", "Created", _T.Datetime, 910, "When the record was created in the ERP", access=_R),
)
_BALANCE = _f("BALANCE", "Balance", _T.Double, 920, "Open balance, computed by the ERP", access=_R)

_PERSON = (
    _f("FIRSTNAME", "First name", _T.Text, 10, max_length=50),
    _f("MIDDLENAME", "Middle name", _T.Text, 20, max_length=50),
    _f("LASTNAME", "Last name", _T.Text, 30, access=_M, max_length=50),
    _f("TITLE", "Title", _T.Text, 40, "Form of address, e.g. Dr.", max_length=40),
    _f("POSITION", "Position", _T.Text, 50, "Job title", max_length=80),
    _f("EMAIL", "E-mail", _T.Text, 60, max_length=254),
    _f("PHONE_DIRECT", "Direct phone", _T.Text, 70, max_length=40),
    _f("PHONE_MOBILE", "Mobile phone", _T.Text, 80, max_length=40),
    _f("BIRTHDATE", "Birth date", _T.Datetime, 90),
    _f("POSTALCOUNTRY", "Country", _T.List, 100, list_name="countries"),
    _f("PRIORITY", "Contact priority", _T.Integer, 110, "1 = call first"),
    _f("SIGNINGLIMIT", "Signing limit", _T.Double, 120, "Largest order the person may sign"),
    _f("NEWSLETTER", "Newsletter", _T.Checkbox, 130, "Receives the newsletter", default="[I:0]"),
    *_TAIL,
)

_PROJECT = (
    _f("NAME", "Project name", _T.Text, 10, access=_M, max_length=120),
    _f("NUMBER", "Project number", _T.Text, 20, "Assigned by the ERP when left empty", max_length=40),
    _f("TEXT", "Description", _T.Text, 30),
    _f("URL", "Web site", _T.Text, 40, max_length=254),
    _f("STATUS", "Status", _T.List, 50, list_name="projectstatus", default="planned"),
    _f("STARTDATE", "Start date", _T.Datetime, 60),
    _f("ENDDATE", "End date", _T.Datetime, 70),
    _f("BUDGET", "Budget", _T.Double, 80, "Budget in the company currency"),
    _f("HOURS", "Hours", _T.Integer, 90, "Hours registered so far"),
    _f("BILLABLE", "Billable", _T.Checkbox, 100, default="[I:1]"),
    *_TAIL,
)

_FIELDS: Mapping[ActorType, tuple[FieldMetadata, ...]] = {
    ActorType.Customer: (*_COMPANY_HEAD, _CUSTOMER_NO, *_RECEIVABLE, _WEBSHOP, *_TAIL, _BALANCE),
    ActorType.Supplier: (*_COMPANY_HEAD, _SUPPLIER_NO, *_PAYABLE, *_TAIL, _BALANCE),
    ActorType.Partner: (
        *_COMPANY_HEAD,
        _CUSTOMER_NO,
        _SUPPLIER_NO,
        *_RECEIVABLE,
        *_PAYABLE,
        *_TAIL,
        _BALANCE,
    ),
    ActorType.Person: _PERSON,
    ActorType.Project: _PROJECT,
}

_COMPANY_SEARCH = ("NAME", "NUMBER1", "EMAIL", "PHONE", "POSTALCITY", "COUNTRY", "CURRENCY")
_COMMON_SEARCH = ("INACTIVE", "CREATED")

#: Advanced-search criteria per type: each type offers text, integer, double, checkbox, list and
#: date-time criteria.
SEARCHABLE_FIELDS: Mapping[ActorType, tuple[str, ...]] = {
    ActorType.Customer: (
        *_COMPANY_SEARCH,
        "CUSTOMERNO",
        "CATEGORY",
        "CREDITLIMIT",
        "CREDITSTOP",
        "DISCOUNT",
        "BALANCE",
        *_COMMON_SEARCH,
    ),
    ActorType.Supplier: (
        *_COMPANY_SEARCH,
        "SUPPLIERNO",
        "PAYMENTTERMS",
        "LEADTIME",
        "PREFERRED",
        "BALANCE",
        *_COMMON_SEARCH,
    ),
    ActorType.Partner: (
        *_COMPANY_SEARCH,
        "CUSTOMERNO",
        "SUPPLIERNO",
        "CATEGORY",
        "CREDITLIMIT",
        "CREDITSTOP",
        "DISCOUNT",
        "LEADTIME",
        "BALANCE",
        *_COMMON_SEARCH,
    ),
    ActorType.Person: (
        "FIRSTNAME",
        "LASTNAME",
        "EMAIL",
        "POSITION",
        "POSTALCOUNTRY",
        "PRIORITY",
        "SIGNINGLIMIT",
        "NEWSLETTER",
        "BIRTHDATE",
        *_COMMON_SEARCH,
    ),
    ActorType.Project: (
        "NAME",
        "NUMBER",
        "STATUS",
        "BUDGET",
        "HOURS",
        "BILLABLE",
        "ENDDATE",
        *_COMMON_SEARCH,
    ),
}

_COMPANY_TEXT = ("NAME", "NUMBER1", "NUMBER2", "EMAIL", "PHONE", "POSTALCITY", "VATNO")
#: What the simple (free-text) search looks at.
FREE_TEXT_FIELDS: Mapping[ActorType, tuple[str, ...]] = {
    ActorType.Customer: (*_COMPANY_TEXT, "CUSTOMERNO"),
    ActorType.Supplier: (*_COMPANY_TEXT, "SUPPLIERNO"),
    ActorType.Partner: (*_COMPANY_TEXT, "CUSTOMERNO", "SUPPLIERNO"),
    ActorType.Person: ("FIRSTNAME", "MIDDLENAME", "LASTNAME", "EMAIL", "PHONE_DIRECT", "PHONE_MOBILE"),
    ActorType.Project: ("NAME", "NUMBER", "TEXT"),
}


def actor_type_of(name: str) -> ActorType:
    """The demo ERP's actor type called ``name``; raises :class:`UnknownActorType` otherwise."""
    try:
        actor_type = ActorType(name)
    except ValueError:
        actor_type = ActorType.Unknown
    if actor_type not in _FIELDS:
        raise UnknownActorType(
            _("The demo ERP has no actor type %(type)r.", type=name),
            f"supported: {', '.join(ACTOR_TYPES)}",
        )
    return actor_type


def fields_of(actor_type: str) -> tuple[FieldMetadata, ...]:
    """The declared fields of ``actor_type``, in rank order."""
    return _FIELDS[actor_type_of(actor_type)]


@cache
def field_map(actor_type: ActorType) -> Mapping[str, FieldMetadata]:
    """Field key → declaration for ``actor_type``."""
    return {f.field_key: f for f in fields_of(actor_type)}


def search_text_of(actor_type: ActorType, values: Mapping[str, str]) -> str:
    """The lower-cased text the free-text search scans, one field per line."""
    return "\n".join(values.get(key, "") for key in FREE_TEXT_FIELDS[actor_type]).lower()


def _number(text: str) -> float:
    try:
        return decode_float(text) if text else 0.0
    except ValueError_:
        return 0.0


def derived_values(actor_type: ActorType, values: Mapping[str, str]) -> dict[str, str]:
    """Values the ERP computes from others: the account status label of receivable accounts."""
    if "ACCOUNTSTATUS" not in field_map(actor_type):
        return {}
    if values.get("CREDITSTOP") and decode_bool(values["CREDITSTOP"]):
        status = "Credit stop: no deliveries"
    elif 0 < _number(values.get("CREDITLIMIT", "")) < _number(values.get("BALANCE", "")):
        status = "Over credit limit"
    else:
        status = "In good standing"
    return {"ACCOUNTSTATUS": status}
