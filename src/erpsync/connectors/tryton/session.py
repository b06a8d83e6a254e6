"""One connection's view of a Tryton database: the login session, the records the config names
(company, role categories, contact relation) resolved to ids, and the lists.

:func:`open_session` checks everything a config names and says clearly what is wrong; the
connector keeps one :class:`TrytonSession` per distinct config and reuses its login.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from erpsync.i18n import lazy_gettext
from erpsync.protocol import ActorType, ListItem
from erpsync.sdk.errors import ConfigInvalid, UnknownList
from erpsync.sdk.languages import explain as _

from .config import TrytonConfig
from .rpc import TrytonRpc

__all__ = ["LIST_NAMES", "FeedSnapshot", "Lists", "TrytonSession", "open_session", "role_domain"]

#: How long list items (countries, languages …) are reused before they are read again.
LIST_TTL_SECONDS = 30.0
#: How long a feed pass's snapshot serves its next pages; a page asked for later is worked out afresh.
FEED_SNAPSHOT_SECONDS = 300.0
#: Feed snapshots kept per session (one per actor type and UpdatedOnOrAfter being paged).
FEED_SNAPSHOTS_KEPT = 8

#: List name → (model, key field, label field, domain).
_LIST_SOURCES: Mapping[str, tuple[str, str, str, list[Any]]] = {
    "countries": ("country.country", "code", "name", [("code", "!=", None)]),
    "languages": ("ir.lang", "code", "name", []),
    "paymentterms": ("account.invoice.payment_term", "id", "name", []),
    "categories": ("party.category", "id", "rec_name", []),
    "projectstatus": ("project.work.status", "id", "name", [("types", "in", ["project"])]),
}
LIST_NAMES = tuple(_LIST_SOURCES)


@dataclass(frozen=True, slots=True)
class Lists:
    """The items of one list: key → label in Tryton's order, and Tryton record id ↔ key."""

    items: dict[str, str]
    key_of_id: dict[int, str]
    id_of_key: dict[str, int]

    def as_list_items(self) -> list[ListItem]:
        return [ListItem(key=k, display_value=v) for k, v in self.items.items()]


@dataclass(frozen=True, slots=True)
class FeedSnapshot:
    """The change feed's positions as one page found them, for the next pages of the same pass.

    ``stamps`` (actor id → LastModified) holds every actor with a row changed at or after ``bound``;
    ``positions`` is the same, sorted; ``horizon`` is the newest row time read, so rows written
    since are those after it. ``taken`` is a monotonic clock reading.
    """

    bound: str
    horizon: str
    stamps: dict[int, str]
    positions: list[tuple[str, int]]
    taken: float


@dataclass
class TrytonSession:
    """A logged-in connection to one database, with the ids its config names."""

    rpc: TrytonRpc
    config: TrytonConfig
    company_id: int
    customer_category: int
    supplier_category: int
    contact_relation: int
    _lists: dict[str, tuple[float, Lists]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: (actor type, UpdatedOnOrAfter) → the feed pass's snapshot (see :mod:`.feed`).
    _feed: dict[tuple[ActorType, str], FeedSnapshot] = field(default_factory=dict)

    @property
    def context(self) -> dict[str, Any]:
        """Every call runs in the configured company and sees deactivated records too."""
        return {"company": self.company_id, "active_test": False}

    @property
    def role_categories(self) -> frozenset[int]:
        return frozenset({self.customer_category, self.supplier_category})

    def call(self, model: str, method: str, *params: Any) -> Any:
        return self.rpc.model(model, method, *params)

    def feed_snapshot(self, key: tuple[ActorType, str], now: float) -> FeedSnapshot | None:
        """The snapshot kept for ``key``, unless it is older than :data:`FEED_SNAPSHOT_SECONDS`."""
        with self._lock:
            snapshot = self._feed.get(key)
        if snapshot is None or now - snapshot.taken >= FEED_SNAPSHOT_SECONDS:
            return None
        return snapshot

    def keep_feed_snapshot(self, key: tuple[ActorType, str], snapshot: FeedSnapshot) -> None:
        with self._lock:
            self._feed.pop(key, None)
            self._feed[key] = snapshot
            while len(self._feed) > FEED_SNAPSHOTS_KEPT:  # the least recently kept go first
                del self._feed[next(iter(self._feed))]

    def lists(self, name: str, clock: Callable[[], float] = time.monotonic) -> Lists:
        """A list's items, read at most every :data:`LIST_TTL_SECONDS`."""
        source = _LIST_SOURCES.get(name)
        if source is None:
            raise UnknownList(
                _("The Tryton connector has no list called %(list)r.", list=name),
                f"known lists: {', '.join(LIST_NAMES)}",
            )
        now = clock()
        with self._lock:
            cached = self._lists.get(name)
        if cached is not None and now - cached[0] < LIST_TTL_SECONDS:
            return cached[1]
        model, key_field, label_field, domain = source
        context = {"company": self.company_id}
        if model == "party.category":
            # The role categories are the actor type itself, not a category the CRM chooses.
            domain = [("id", "not in", sorted(self.role_categories))]
        rows = self.rpc.model(
            model, "search_read", domain, 0, None, None, ["id", key_field, label_field], context
        )
        items: dict[str, str] = {}
        key_of_id: dict[int, str] = {}
        for row in rows:
            key = str(row[key_field])
            items[key] = str(row.get(label_field) or key)
            key_of_id[int(row["id"])] = key
        loaded = Lists(items, key_of_id, {k: i for i, k in key_of_id.items()})
        with self._lock:
            self._lists[name] = (now, loaded)
        return loaded


def role_domain(session: TrytonSession, actor_type: ActorType, prefix: str = "") -> list[Any]:
    """The domain of the records that are actors of ``actor_type`` (paths under ``prefix``)."""
    match actor_type:
        case ActorType.Customer:
            return [(f"{prefix}categories", "in", [session.customer_category])]
        case ActorType.Supplier:
            return [(f"{prefix}categories", "in", [session.supplier_category])]
        case ActorType.Person:
            return [(f"{prefix}relations.type", "=", session.contact_relation)]
    return [("type", "=", "project"), ("company", "=", session.company_id)]


def _one(
    rpc: TrytonRpc,
    model: str,
    name_field: str,
    value: str,
    field: str,
    missing: str,
    context: dict[str, Any],
) -> int:
    """The id of the record whose ``name_field`` is ``value`` (or whose id it is, for a number);
    ``field`` names the config field, ``missing`` says what to do when there is none."""
    domain: list[Any] = [(name_field, "=", value)]
    if value.isascii() and value.isdigit():
        domain = ["OR", ("id", "=", int(value)), domain[0]]
    ids = rpc.model(model, "search", domain, 0, 2, None, context)
    if not ids:
        raise ConfigInvalid(missing)
    if len(ids) > 1:
        raise ConfigInvalid(
            _("%(field)s: %(value)r names more than one record in Tryton.", field=field, value=value)
        )
    return int(ids[0])


def open_session(rpc: TrytonRpc, config: TrytonConfig) -> TrytonSession:
    """Log in and resolve the company, role categories and contact relation of ``config``.

    Raises ``ConfigInvalid`` (unknown company, category, relation) or the client's errors.
    """
    rpc.log_in()
    plain: dict[str, Any] = {}
    company = _one(
        rpc,
        "company.company",
        "party.name",
        config.company,
        _("Company"),
        _("Company: Tryton has no company %(name)r (give its name or record id).", name=config.company),
        plain,
    )
    allowed = rpc.model("res.user", "get_preferences", False, plain).get("companies") or []
    if company not in allowed:
        raise ConfigInvalid(
            _(
                "Company: the Tryton user %(user)r may not work in company %(company)r; add the company "
                "to the user's companies.",
                user=config.username,
                company=config.company,
            )
        )
    no_category = lazy_gettext(
        "%(field)s: Tryton has no party category %(name)r; create it (Party > Configuration > Categories) "
        "or name another."
    )
    customer = _one(
        rpc,
        "party.category",
        "name",
        config.customer_category,
        _("Customer category"),
        _(no_category, field=_("Customer category"), name=config.customer_category),
        plain,
    )
    supplier = _one(
        rpc,
        "party.category",
        "name",
        config.supplier_category,
        _("Supplier category"),
        _(no_category, field=_("Supplier category"), name=config.supplier_category),
        plain,
    )
    relation = _one(
        rpc,
        "party.relation.type",
        "name",
        config.contact_relation,
        _("Contact relation"),
        _(
            "Contact relation: Tryton has no relation type %(name)r; create it (Party > Configuration > "
            "Relation Types, module party_relationship) or name another.",
            name=config.contact_relation,
        ),
        plain,
    )
    return TrytonSession(rpc, config, company, customer, supplier, relation)
