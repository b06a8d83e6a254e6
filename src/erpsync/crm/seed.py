"""Standard list contents and sample CRM data, so that a new installation is usable at once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import store
from .catalogue import CrmEntity, ListName
from .journal import SYSTEM_ORIGIN
from .lists import add_list_item, ensure_list, list_items
from .models import Company, ListItem

__all__ = ["STANDARD_LISTS", "SeedSummary", "ensure_standard_lists", "seed_sample_data"]

_COUNTRIES = (
    "Australia", "Austria", "Belgium", "Brazil", "Canada", "China", "Czech Republic", "Denmark",
    "Estonia", "Finland", "France", "Germany", "Iceland", "India", "Ireland", "Italy", "Japan",
    "Latvia", "Lithuania", "Luxembourg", "Mexico", "Netherlands", "New Zealand", "Norway",
    "Poland", "Portugal", "Singapore", "South Africa", "Spain", "Sweden", "Switzerland",
    "United Kingdom", "United States",
)  # fmt: skip
_BUSINESSES = (
    "Consulting", "Construction", "Education", "Energy", "Finance", "Healthcare",
    "Information technology", "Manufacturing", "Media", "Public sector", "Retail", "Transport",
)  # fmt: skip

STANDARD_LISTS: dict[ListName, tuple[str, ...]] = {
    ListName.country: _COUNTRIES,
    ListName.category: ("Customer", "Prospect", "Supplier", "Partner", "Competitor", "Press"),
    ListName.business: _BUSINESSES,
    ListName.project_status: ("Planned", "In progress", "On hold", "Completed", "Cancelled"),
    ListName.project_type: ("Implementation", "Consulting", "Support", "Internal", "Sales campaign"),
}


def ensure_standard_lists(session: Session) -> None:
    """Create every list; fill the ones that have no items yet with the standard items. Lists an
    administrator has already edited are left alone, so this is safe to run at every upgrade."""
    for list_name, names in STANDARD_LISTS.items():
        crm_list = ensure_list(session, list_name)
        if session.scalar(select(func.count()).select_from(ListItem).where(ListItem.list_id == crm_list.id)):
            continue
        for rank, name in enumerate(names):
            add_list_item(session, list_name, name, rank=rank)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    companies: int
    persons: int
    projects: int


_NAME_STEMS = (
    "Nordlys", "Fjord", "Aurora", "Granite", "Bluewater", "Northwind", "Silverline", "Oakridge",
    "Harbor", "Summit", "Meridian", "Evergreen", "Polar", "Cedar", "Atlas", "Vesta", "Brightwell",
    "Ironbridge", "Skyline", "Riverside", "Lindqvist", "Solberg", "Havtorn", "Kestrel",
)  # fmt: skip
_NAME_KINDS = (
    "Consulting", "Engineering", "Logistics", "Software", "Foods", "Energy", "Health", "Media",
    "Construction", "Trading", "Systems", "Partners",
)  # fmt: skip
_NAME_FORMS = ("AS", "AB", "Ltd", "GmbH", "Inc.", "Oy", "A/S", "BV")
_CITIES = (
    ("Oslo", "0150", "Norway"), ("Bergen", "5003", "Norway"), ("Trondheim", "7011", "Norway"),
    ("Stockholm", "111 52", "Sweden"), ("Gothenburg", "411 06", "Sweden"),
    ("Copenhagen", "1050", "Denmark"), ("Helsinki", "00100", "Finland"),
    ("London", "EC1A 1BB", "United Kingdom"), ("Manchester", "M1 1AE", "United Kingdom"),
    ("Berlin", "10115", "Germany"), ("Hamburg", "20095", "Germany"), ("Amsterdam", "1012 JS", "Netherlands"),
    ("Boston", "02108", "United States"), ("Chicago", "60601", "United States"),
)  # fmt: skip
_STREETS = (
    "Storgata",
    "Kungsgatan",
    "High Street",
    "Hauptstraße",
    "Main Street",
    "Strandvejen",
    "Keizersgracht",
)
_FIRST_NAMES = (
    "Anna", "Lars", "Ingrid", "Ole", "Kari", "Erik", "Sofia", "Magnus", "Emma", "Jonas", "Nora",
    "Henrik", "Maja", "Oliver", "Sara", "William", "Ella", "Lukas", "Hannah", "Noah", "Julia", "Peter",
)  # fmt: skip
_LAST_NAMES = (
    "Hansen", "Johansson", "Nielsen", "Berg", "Larsen", "Andersson", "Virtanen", "Smith", "Müller",
    "Jensen", "Karlsson", "Olsen", "de Vries", "Brown", "Lindberg", "Dahl", "Schmidt", "Eriksen",
)  # fmt: skip
_POSITIONS = (
    "CEO",
    "CFO",
    "Sales manager",
    "Purchasing manager",
    "Accountant",
    "Project manager",
    "Engineer",
)
_PROJECT_WORDS = (
    "CRM rollout", "ERP integration", "Website relaunch", "Warehouse upgrade", "Annual audit",
    "Customer portal", "Data migration", "Trade fair", "Office move", "Support agreement",
)  # fmt: skip


def seed_sample_data(session: Session, companies: int = 36, seed: int = 7) -> SeedSummary:
    """Add ``companies`` realistic companies, each with a few persons, and some projects (through
    ``crm.store``, journaled as ``system``). The same ``seed`` gives the same data."""
    ensure_standard_lists(session)
    rng = random.Random(seed)
    item_ids = {name: {item.name: item.id for item in list_items(session, name)} for name in ListName}
    countries = item_ids[ListName.country]
    start = session.scalar(select(func.count()).select_from(Company)) or 0
    company_rows = [_company(rng, start + index, item_ids, countries) for index in range(companies)]
    company_ids = store.create_many(session, CrmEntity.company, company_rows, SYSTEM_ORIGIN)
    person_rows = [
        _person(rng, company_id, company_row, countries)
        for company_id, company_row in zip(company_ids, company_rows, strict=True)
        for _ in range(rng.randint(1, 4))
    ]
    store.create_many(session, CrmEntity.person, person_rows, SYSTEM_ORIGIN)
    project_rows = [_project(rng, index, item_ids) for index in range(max(1, companies // 3))]
    store.create_many(session, CrmEntity.project, project_rows, SYSTEM_ORIGIN)
    return SeedSummary(len(company_rows), len(person_rows), len(project_rows))


def _pick_item(rng: random.Random, items: dict[str, int]) -> int | None:
    return rng.choice(list(items.values())) if items else None


def _company(
    rng: random.Random, index: int, item_ids: dict[ListName, dict[str, int]], countries: dict[str, int]
) -> dict[str, Any]:
    stem = _NAME_STEMS[index % len(_NAME_STEMS)]
    kind = _NAME_KINDS[(index // len(_NAME_STEMS) + rng.randrange(len(_NAME_KINDS))) % len(_NAME_KINDS)]
    name = f"{stem} {kind} {rng.choice(_NAME_FORMS)}"
    city, zip_code, country = rng.choice(_CITIES)
    domain = f"{stem}{kind}".lower().replace(" ", "")
    street = f"{rng.choice(_STREETS)} {rng.randint(1, 120)}"
    return {
        "name": name,
        "code": f"C{10000 + index}",
        "number": str(20000 + index),
        "phone": f"+47 {rng.randint(20000000, 99999999)}",
        "email": f"post@{domain}.example",
        "web_site": f"https://www.{domain}.example",
        "postal_address_1": street,
        "postal_zip": zip_code,
        "postal_city": city,
        "street_address_1": street,
        "street_zip": zip_code,
        "street_city": city,
        "country": countries.get(country),
        "vat_no": f"{rng.randint(900000000, 999999999)}MVA",
        "category": _pick_item(rng, item_ids[ListName.category]),
        "business": _pick_item(rng, item_ids[ListName.business]),
        "employees": rng.choice((5, 12, 25, 40, 80, 150, 420, 1200)),
        "turnover": float(rng.randint(1, 500)) * 100_000,
        "no_mailings": rng.random() < 0.1,
    }


def _person(
    rng: random.Random, company_id: int, company: dict[str, Any], countries: dict[str, int]
) -> dict[str, Any]:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    domain = str(company["email"]).split("@", 1)[1]
    return {
        "company_id": company_id,
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}@{domain}".lower().replace(" ", ""),
        "phone_mobile": f"+47 9{rng.randint(1000000, 9999999)}",
        "position": rng.choice(_POSITIONS),
        "birth_date": datetime(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC),
        "postal_city": company["postal_city"],
        "postal_zip": company["postal_zip"],
        "country": company["country"],
    }


def _project(rng: random.Random, index: int, item_ids: dict[ListName, dict[str, int]]) -> dict[str, Any]:
    title = rng.choice(_PROJECT_WORDS)
    return {
        "name": f"{title} {2025 + index % 3}",
        "description": f"{title} for a key account.",
        "number": f"P-{1000 + index}",
        "end_date": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 540)),
        "status": _pick_item(rng, item_ids[ListName.project_status]),
        "type": _pick_item(rng, item_ids[ListName.project_type]),
        "budget": float(rng.randint(5, 200)) * 10_000,
        "hours": rng.randint(10, 2000),
        "done": rng.random() < 0.2,
    }
