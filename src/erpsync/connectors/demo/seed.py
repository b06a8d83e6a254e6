"""Fast, deterministic seeding of a demo ERP database with realistic actors.

Actors are generated straight into the storage encoding and inserted with one ``executemany`` in
one transaction, so they share one ``LastModified`` (the bulk case the paged change feed exists
for). 100,000 actors take a few seconds.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from erpsync.protocol import ActorType
from erpsync.protocol.codec import encode_float

from .database import BulkActor, DemoErpDatabase

__all__ = ["SeedStats", "seed_database"]

_C, _S, _P = ActorType.Customer, ActorType.Supplier, ActorType.Partner


@dataclass(frozen=True, slots=True)
class SeedStats:
    """What :func:`seed_database` added."""

    path: Path
    added: Mapping[str, int] = field(default_factory=dict)
    first_erp_key: str = ""
    last_erp_key: str = ""
    last_modified: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.added.values())

    def __str__(self) -> str:
        if not self.total:
            return "no actors added"
        kinds = ", ".join(f"{kind} {count}" for kind, count in self.added.items())
        return (
            f"{self.total} actors added ({kinds}), ErpKeys {self.first_erp_key}-{self.last_erp_key}, "
            f"in {self.seconds:.2f} s"
        )


def seed_database(
    path: Path,
    actors: int,
    password: str = "demo",  # noqa: S107 - the sandbox's documented password
    user: str = "admin",
    seed: int = 0,
) -> SeedStats:
    """Create the database at ``path`` if needed and add ``actors`` realistic actors.

    The mix: 40 % persons (under the new customers, suppliers and partners), 10 % projects, the rest
    companies (7 customers : 2 suppliers : 1 partner). The same ``seed`` on the same database state
    gives the same actors. An existing database keeps its user and password (``user`` is only
    created when missing) and gets new actors with higher ErpKeys.
    """
    if actors < 0:
        raise ValueError("the number of actors cannot be negative")
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    keys: list[int] = []
    tick = ""
    with DemoErpDatabase(path) as db:
        if not db.has_user(user):
            db.set_user(user, password)
        if actors:

            def build(first_id: int, moment: datetime) -> Iterator[BulkActor]:
                rng = random.Random(f"{seed}/{first_id}")
                for actor in _Generator(rng, moment.date()).actors(first_id, actors):
                    counts[actor.actor_type.value] += 1
                    keys.append(actor.erp_id)
                    yield actor

            tick = db.bulk_insert(build)
    order = [kind.value for kind in (_C, _S, _P, ActorType.Person, ActorType.Project) if counts[kind.value]]
    return SeedStats(
        path=path,
        added={kind: counts[kind] for kind in order},
        first_erp_key=str(keys[0]) if keys else "",
        last_erp_key=str(keys[-1]) if keys else "",
        last_modified=tick,
        seconds=time.perf_counter() - started,
    )


# -- the generator ---------------------------------------------------------------------------------

# Country → (weight, legal suffix, currency, phone prefix, [(zip, city)]).
_COUNTRIES: dict[str, tuple[int, str, str, str, list[tuple[str, str]]]] = {
    "NO": (
        40,
        "AS",
        "NOK",
        "+47",
        [
            ("0150", "Oslo"),
            ("5003", "Bergen"),
            ("7010", "Trondheim"),
            ("4006", "Stavanger"),
            ("9008", "Tromsø"),
        ],
    ),
    "SE": (15, "AB", "SEK", "+46", [("111 20", "Stockholm"), ("411 03", "Göteborg"), ("211 20", "Malmö")]),
    "DK": (10, "ApS", "DKK", "+45", [("1050", "København K"), ("8000", "Aarhus C"), ("5000", "Odense C")]),
    "FI": (5, "Oy", "EUR", "+358", [("00100", "Helsinki"), ("33100", "Tampere")]),
    "DE": (8, "GmbH", "EUR", "+49", [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München")]),
    "NL": (4, "B.V.", "EUR", "+31", [("1012 AB", "Amsterdam"), ("3011 AA", "Rotterdam")]),
    "GB": (
        8,
        "Ltd",
        "GBP",
        "+44",
        [("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("EH1 1YZ", "Edinburgh")],
    ),
    "FR": (3, "SARL", "EUR", "+33", [("75001", "Paris"), ("69001", "Lyon")]),
    "PL": (3, "Sp. z o.o.", "PLN", "+48", [("00-001", "Warszawa"), ("30-001", "Kraków")]),
    "CH": (2, "AG", "CHF", "+41", [("8001", "Zürich"), ("1201", "Genève")]),
    "US": (2, "Inc.", "USD", "+1", [("10001", "New York"), ("94105", "San Francisco"), ("60601", "Chicago")]),
}
_COUNTRY_CODES = list(_COUNTRIES)
_COUNTRY_WEIGHTS = [spec[0] for spec in _COUNTRIES.values()]

# fmt: off
_SURNAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
    "Karlsen", "Berg", "Haugen", "Hagen", "Bakken", "Lund", "Dahl", "Strand", "Moen", "Eriksson",
    "Lindqvist", "Svensson", "Nyström", "Virtanen", "Korhonen", "Schmidt", "Müller", "Fischer", "Weber",
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Visser", "Jansen", "Dubois", "Martin",
    "Kowalski", "Nowak", "Ødegård", "Sæther", "Aasen", "Holm", "Brekke",
)
_FIRST_NAMES = (
    "Anne", "Kari", "Ingrid", "Marit", "Liv", "Nora", "Emma", "Sofie", "Ida", "Maja", "Astrid", "Elin",
    "Hanne", "Sara", "Julia", "Eva", "Anna", "Claire", "Ole", "Lars", "Per", "Jan", "Knut", "Erik",
    "Bjørn", "Hans", "Magnus", "Jonas", "Emil", "Henrik", "Anders", "Thomas", "Martin", "Lukas", "Jakob",
    "Mikael", "Johan", "Pierre", "James", "Oliver", "Piotr", "Sven", "Åse", "Tore",
)
_MIDDLE_NAMES = (
    "Marie", "Johanne", "Louise", "Andreas", "Kristian", "Elisabeth", "Alexander",
)
_TRADES = (
    "Consulting", "Engineering", "Logistics", "Trading", "Electro", "Timber", "Marine", "Foods",
    "Systems", "Bygg", "Data", "Tools", "Media", "Energy", "Design", "Textiles", "Pharma", "Transport",
    "Packaging", "Instruments", "Fisheries", "Furniture", "Analytics",
)
_PREFIXES = (
    "Nordic", "North", "Fjord", "Polar", "Coastal", "Atlantic", "Baltic", "Arctic", "Viking", "Alpine",
    "Summit", "Bright", "Blue",
)
_STREETS: dict[str, tuple[str, ...]] = {
    "NO": ("Storgata", "Kirkegata", "Dronningens gate", "Strandveien", "Industriveien", "Havnegata"),
    "SE": ("Sveavägen", "Drottninggatan", "Storgatan", "Kungsgatan"),
    "DK": ("Vesterbrogade", "Nørregade", "Østergade", "Havnegade"),
    "FI": ("Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Schillerstraße"),
    "NL": ("Kerkstraat", "Dorpsstraat", "Stationsweg"),
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road"),
    "FR": ("Rue de la Paix", "Rue du Commerce", "Avenue Jean Jaurès"),
    "PL": ("ulica Marszałkowska", "ulica Długa", "ulica Polna"),
    "CH": ("Bahnhofstrasse", "Seestrasse", "Dorfstrasse"),
    "US": ("Main Street", "Market Street", "Oak Avenue", "Park Avenue"),
}
_POSITIONS = (
    "CEO", "CFO", "Purchasing manager", "Accountant", "Sales manager", "Project manager", "IT manager",
    "Office manager", "Logistics coordinator", "Buyer", "Controller", "Engineer",
)
_PROJECT_WORDS = (
    "ERP rollout", "Warehouse automation", "Website relaunch", "Fleet renewal", "Office move",
    "CRM integration", "Quality audit", "Solar installation", "Network upgrade", "Training programme",
    "Product launch", "Data migration",
)
# fmt: on
_DEPARTMENTS = ("", "", "", "", "Accounts payable", "Purchasing", "Head office", "Finance")
_PROJECT_TEXTS = (
    "Fixed-price delivery with monthly invoicing.",
    "Time and material; weekly status meetings with the customer.",
    "Internal project, costs booked on department 200.",
    "Phase 1 of 3; scope agreed in the framework contract.",
    "",
)
_STATUSES = ("planned", "open", "open", "open", "onhold", "completed", "completed", "cancelled")
_TERMS = ("NET10", "NET14", "NET30", "NET30", "NET30", "NET45", "NET60", "EOM30", "PREPAID", "COD")
_CATEGORIES = ("retail", "wholesale", "wholesale", "public", "education", "healthcare", "key", "")
_CREDIT_LIMITS = tuple(encode_float(float(limit)) for limit in (0, 10000, 25000, 50000, 100000, 250000))
_SIGNING_LIMITS = tuple(encode_float(float(limit)) for limit in (10000, 50000, 250000))
_DISCOUNTS = ("[I:0]", "[I:0]", "[I:0]", "[I:5]", "[I:10]", "[I:15]")
_ON, _OFF, _ZERO = "[I:1]", "[I:0]", encode_float(0.0)
_ASCII = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ß": "ss", " ": "", ".": "", "'": ""})


@cache
def _slug(text: str) -> str:
    """A lower-case ASCII form for e-mail addresses and domains."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_ASCII))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c == "-"))


def _date_value(day: date) -> str:
    return f"[DT:{day.month:02d}/{day.day:02d}/{day.year:04d} 00:00:00.0000000]"


@dataclass(slots=True)
class _Company:
    erp_key: str
    actor_type: ActorType
    country: str
    domain: str


class _Generator:
    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today

    def _digits(self, count: int) -> str:
        return str(self.rng.randrange(10 ** (count - 1), 10**count))

    def _phone(self, country: str) -> str:
        digits = self._digits(8)
        return f"{_COUNTRIES[country][3]} {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"

    def _past_day(self, max_days: int) -> date:
        return self.today - timedelta(days=self.rng.randrange(1, max_days))

    def _money(self, low: int, high: int) -> str:
        return encode_float(self.rng.randrange(low * 100, high * 100) / 100)

    def actors(self, first_id: int, total: int) -> Iterator[BulkActor]:
        persons = round(total * 0.4)
        projects = round(total * 0.1)
        companies = total - persons - projects
        if companies == 0:  # persons need someone to belong to
            companies, persons = persons, 0
        erp_id = first_id
        parents: list[_Company] = []
        for index in range(companies):
            kind = _C if index % 10 < 7 else _S if index % 10 < 9 else _P
            actor, company = self.company(erp_id, kind)
            parents.append(company)
            yield actor
            erp_id += 1
        for _ in range(persons):
            yield self.person(erp_id, self.rng.choice(parents))
            erp_id += 1
        for _ in range(projects):
            yield self.project(erp_id)
            erp_id += 1

    def company(self, erp_id: int, kind: ActorType) -> tuple[BulkActor, _Company]:
        rng = self.rng
        country = rng.choices(_COUNTRY_CODES, _COUNTRY_WEIGHTS)[0]
        _, legal, currency, _, places = _COUNTRIES[country]
        zip_code, city = rng.choice(places)
        if rng.random() < 0.5:
            core = f"{rng.choice(_SURNAMES)} {rng.choice(_TRADES)}"
        else:
            core = f"{rng.choice(_PREFIXES)} {rng.choice(_TRADES)}"
        domain = f"{_slug(core)}.{country.lower() if country != 'US' else 'com'}"
        street = f"{rng.choice(_STREETS[country])} {rng.randrange(1, 180)}"
        number = str(10000 + erp_id)
        values = {
            "NAME": f"{core} {legal}",
            "NUMBER1": _slug(core)[:6].upper() + str(erp_id % 1000),
            "PHONE": self._phone(country),
            "EMAIL": f"{'post' if kind is not _S else 'sales'}@{domain}",
            "URL": f"https://www.{domain}",
            "POSTALAD1": street if rng.random() < 0.7 else f"P.O. Box {rng.randrange(1, 9999)}",
            "POSTALZIP": zip_code,
            "POSTALCITY": city,
            "STREETAD1": street,
            "STREETZIP": zip_code,
            "STREETCITY": city,
            "COUNTRY": country,
            "VATNO": f"{country}{self._digits(9)}{'MVA' if country == 'NO' else ''}",
            "CURRENCY": currency,
            "PAYMENTTERMS": rng.choice(_TERMS),
            "INACTIVE": _ON if rng.random() < 0.05 else _OFF,
            "CREATED": _date_value(self._past_day(3650)),
            "BALANCE": self._money(0, 80000) if rng.random() < 0.6 else _ZERO,
        }
        department = rng.choice(_DEPARTMENTS)
        if department:
            values["DEPARTMENT"] = department
        if rng.random() < 0.1:
            values["FAX"] = self._phone(country)
        if kind is not _S:
            values["CUSTOMERNO"] = number
            category = rng.choice(_CATEGORIES)
            if category:
                values["CATEGORY"] = category
            values["CREDITLIMIT"] = rng.choice(_CREDIT_LIMITS)
            values["CREDITSTOP"] = _ON if rng.random() < 0.05 else _OFF
            values["DISCOUNT"] = rng.choice(_DISCOUNTS)
        if kind is not _C:
            values["SUPPLIERNO"] = f"S{number}"
            values["LEADTIME"] = f"[I:{rng.randrange(1, 61)}]"
            values["PREFERRED"] = _ON if rng.random() < 0.2 else _OFF
            values["BANKACCOUNT"] = f"{self._digits(4)}.{self._digits(2)}.{self._digits(5)}"
        actor = BulkActor(erp_id, kind, values)
        return actor, _Company(str(erp_id), kind, country, domain)

    def person(self, erp_id: int, company: _Company) -> BulkActor:
        rng = self.rng
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
        born = date(rng.randrange(1955, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
        values = {
            "FIRSTNAME": first,
            "LASTNAME": last,
            "POSITION": rng.choice(_POSITIONS),
            "EMAIL": f"{_slug(first)}.{_slug(last)}@{company.domain}",
            "PHONE_DIRECT": self._phone(company.country),
            "PHONE_MOBILE": self._phone(company.country),
            "BIRTHDATE": _date_value(born),
            "POSTALCOUNTRY": company.country,
            "PRIORITY": f"[I:{rng.randrange(1, 6)}]",
            "NEWSLETTER": _ON if rng.random() < 0.3 else _OFF,
            "INACTIVE": _ON if rng.random() < 0.05 else _OFF,
            "CREATED": _date_value(self._past_day(3000)),
        }
        if rng.random() < 0.1:
            values["MIDDLENAME"] = rng.choice(_MIDDLE_NAMES)
        if rng.random() < 0.05:
            values["TITLE"] = "Dr."
        if rng.random() < 0.3:
            values["SIGNINGLIMIT"] = rng.choice(_SIGNING_LIMITS)
        return BulkActor(erp_id, ActorType.Person, values, company.actor_type.value, company.erp_key)

    def project(self, erp_id: int) -> BulkActor:
        rng = self.rng
        start = self._past_day(1500)
        status = rng.choice(_STATUSES)
        values = {
            "NAME": f"{rng.choice(_PROJECT_WORDS)} {start.year}",
            "NUMBER": f"P-{10000 + erp_id}",
            "STATUS": status,
            "STARTDATE": _date_value(start),
            "ENDDATE": _date_value(start + timedelta(days=rng.randrange(30, 400))),
            "BUDGET": encode_float(float(rng.randrange(20, 2000) * 1000)),
            "HOURS": f"[I:{rng.randrange(0, 5000)}]",
            "BILLABLE": _ON if rng.random() < 0.8 else _OFF,
            "INACTIVE": _ON if status == "cancelled" else _OFF,
            "CREATED": _date_value(start - timedelta(days=rng.randrange(1, 60))),
        }
        text = rng.choice(_PROJECT_TEXTS)
        if text:
            values["TEXT"] = text
        return BulkActor(erp_id, ActorType.Project, values)
