"""Checks of LastModified and the change feed: monotonic and global stamps, the inclusive bound,
and paging through many actors that share one LastModified."""

from __future__ import annotations

from dataclasses import dataclass, field

from erpsync.protocol import Capability, ErpActor, call
from erpsync.protocol.timestamps import compare, latest, sort_key

from .actors import create
from .context import Run, Skipped, expect, listing

__all__ = [
    "check_boundary",
    "check_deleted_feed",
    "check_equal_timestamp_pages",
    "check_inclusive",
    "check_monotonic",
    "read_feed",
]

#: The page size of the paging check: small, so that equal-timestamp actors span several pages.
PAGE_SIZE = 4


@dataclass(slots=True)
class Feed:
    """The change feed read from one bound: every page, in order."""

    pages: list[list[ErpActor]] = field(default_factory=list)

    @property
    def actors(self) -> list[ErpActor]:
        return [a for page in self.pages for a in page]

    @property
    def keys(self) -> list[str]:
        return [a.erp_key for a in self.actors]


def read_feed(run: Run, actor_type: str, since: str, page_size: int = 0) -> Feed:
    """Every page of GetActorsByTimestamp from ``since``, following NextPageToken.

    Stops with a failure when a token comes back twice or the pages never end.
    """
    feed = Feed()
    token, tokens = "", set[str]()
    while True:
        reply = run.send(call.get_actors_by_timestamp(run.guid, since, actor_type, (), page_size, token))
        feed.pages.append(list(reply.actors))
        token = reply.next_page_token
        if not token:
            return feed
        expect(token not in tokens, f"NextPageToken {token!r} came back twice: the feed loops")
        expect(len(feed.pages) < 10_000, "the feed did not end after 10000 pages")
        tokens.add(token)


def check_monotonic(run: Run, actor_type: str) -> str:
    first = create(run, actor_type)
    second = create(run, actor_type)
    run.pair[actor_type] = (first, second)
    a, b = first.actor.last_modified, second.actor.last_modified
    order = compare(b, a)
    expect(order >= 0, f"LastModified went backwards: {a!r} then {b!r} for two actors written in turn")
    expect(order > 0, f"two separate writes got the same LastModified {a!r}")
    saved = run.saved_stamp.get(actor_type)
    if saved:
        expect(
            compare(a, saved) > 0,
            f"an actor created after a save got LastModified {a!r}, not newer than the save's {saved!r}",
        )
    return f"{a!r} < {b!r}"


def _expect_bound_respected(feed: Feed, since: str) -> None:
    older = [f"{a.erp_key} ({a.last_modified})" for a in feed.actors if compare(a.last_modified, since) < 0]
    expect(not older, f"actors older than UpdatedOnOrAfter {since!r} returned: {listing(older, 3)}")


def check_inclusive(run: Run, actor_type: str) -> str:
    bounds: list[tuple[str, str, str]] = []  # (bound, ErpKey that must be in, what it is)
    saved = run.saved_stamp.get(actor_type)
    if saved:
        bounds.append((saved, run.primary_of(actor_type).key, "the saved actor"))
    pair = run.pair.get(actor_type)
    if pair:
        bounds.append((pair[0].actor.last_modified, pair[0].key, "the first of two new actors"))
    if not bounds:
        raise Skipped("needs an actor saved or created with a LastModified (earlier checks failed)")
    for since, key, what in bounds:
        feed = read_feed(run, actor_type, since)
        expect(key in feed.keys, f"from {what}'s own LastModified {since!r} the feed misses it (exclusive?)")
        _expect_bound_respected(feed, since)
    if pair:
        feed = read_feed(run, actor_type, pair[0].actor.last_modified)
        expect(pair[1].key in feed.keys, "the feed misses an actor written after the bound")
    return f"from {len(bounds)} actors' own LastModified the feed includes them"


def check_boundary(run: Run, actor_type: str) -> str:
    pair = run.pair.get(actor_type)
    if pair is None:
        raise Skipped(f"needs the two actors of LastModified.monotonic[{actor_type}]")
    actors = read_feed(run, actor_type, pair[0].actor.last_modified).actors
    expect(bool(actors), "the feed from a new actor's LastModified is empty")
    newest = latest(*(a.last_modified for a in actors), pair[1].actor.last_modified)
    at_newest = {a.erp_key for a in actors if compare(a.last_modified, newest) == 0}
    older = {a.erp_key for a in actors if compare(a.last_modified, newest) < 0}
    feed = read_feed(run, actor_type, newest)
    missing = at_newest - set(feed.keys)
    expect(not missing, f"from the newest LastModified {newest!r} the feed misses {listing(missing)}")
    stale = older & set(feed.keys)
    expect(not stale, f"from {newest!r} the feed still returns older actors {listing(stale)}")
    _expect_bound_respected(feed, newest)
    return f"from the newest {newest!r}: {len(at_newest)} actor(s) in, {len(older)} older out"


def _page_size(run: Run) -> int:
    return min(PAGE_SIZE, run.max_page_size) if run.max_page_size > 0 else PAGE_SIZE


def check_equal_timestamp_pages(run: Run, actor_type: str) -> str:
    run.require(Capability.PagedTimestampFeed, Capability.BatchCreate)
    batch = run.batch.get(actor_type)
    if not batch:
        raise Skipped(f"needs the actors of CreateActors[{actor_type}]")
    since = min((a.last_modified for a in batch), key=sort_key)
    size = _page_size(run)
    paged = read_feed(run, actor_type, since, size)
    oversized = [len(p) for p in paged.pages if len(p) > size]
    expect(not oversized, f"pages of {listing(oversized)} actors for PageSize {size}")
    keys = paged.keys
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    expect(not repeated, f"actors on more than one page: {listing(repeated)}")
    lost = [a.erp_key for a in batch if a.erp_key not in keys]
    expect(not lost, f"{len(lost)} of {len(batch)} actors lost between pages: {listing(lost)}")
    whole = set(read_feed(run, actor_type, since).keys)
    expect(
        set(keys) == whole,
        f"pages hold {len(set(keys))} actors, one unpaged read {len(whole)}: "
        f"only paged {listing(set(keys) - whole)}; only unpaged {listing(whole - set(keys))}",
    )
    stamps = len({a.last_modified for a in batch})
    return (
        f"{len(batch)} actors ({stamps} LastModified value(s)) read once each "
        f"in {len(paged.pages)} pages of ≤{size}"
    )


def check_deleted_feed(run: Run, actor_type: str) -> str:
    run.require(Capability.DeleteFeed)
    run.require_connection()
    size = _page_size(run) if run.offers(Capability.PagedTimestampFeed) else 0
    token, tokens, pages, count = "", set[str](), 0, 0
    while True:
        reply = run.send(call.get_deleted_actors(run.guid, actor_type, "", size, token))
        pages += 1
        found = reply.deleted_actors
        expect(not size or len(found) <= size, f"a page of {len(found)} deleted actors for PageSize {size}")
        for item in found:
            expect(item.actor_type == actor_type, f"a deleted {item.actor_type!r} in the {actor_type} feed")
            expect(bool(item.erp_key), "a deleted actor without ErpKey")
            expect(bool(item.deleted_at), f"deleted actor {item.erp_key!r} without a deletion timestamp")
        count += len(found)
        token = reply.next_page_token
        if not token:
            return f"{count} deleted actors in {pages} page(s)"
        expect(token not in tokens, f"NextPageToken {token!r} came back twice: the feed loops")
        expect(pages < 10_000, "the delete feed did not end after 10000 pages")
        tokens.add(token)
