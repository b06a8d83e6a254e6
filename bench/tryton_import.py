"""Import from ERP with the Tryton connector: 10,000 Tryton customers into a fresh CRM through the
hub's import (the engine path of ``bench/import_throughput.py``), beside the demo connector's figure
for the same number in the same run. Target (2-core machine): at least 1,500 actors/s.

A real trytond (``make tryton-env``) serves a copy of the test template database plus the
customers, each with a code, a phone, an e-mail and an address. They are created through trytond
(500 per ``create`` call) once per count and seed version, and the database is kept beside the
test template (``var/tryton/<versions>/``), so later runs only copy it. The connector host runs in
its own process, as in the demo benchmark; it counts and times every JSON-RPC call by method, and
the report shows them: their sum is the time trytond spent answering (over loopback), the floor
the connector cannot go below.

    .venv/bin/python bench/tryton_import.py [--actors 10000] [--profile host.prof]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import import_throughput as demo_bench  # noqa: E402 - the demo benchmark's own helpers

SECRET = demo_bench.SECRET
#: Bump when :func:`seed` changes, so that the kept database is built again.
SEED_VERSION = "2"
#: Parties per ``create`` call: trytond's time per party grows with the batch (3.6 ms at 500,
#: 4.5 ms at 2,000 on the 2-core machine).
SEED_BATCH = 500
FIELDS = {
    "NAME": "name",
    "PHONE": "phone",
    "EMAIL": "email",
    "POSTALCITY": "postal_city",
    "COUNTRY": "country",
}
CITIES = (("NO", "Oslo"), ("NO", "Bergen"), ("SE", "Stockholm"), ("DK", "Aarhus C"), ("DE", "Berlin"))


def seed(server: Any, count: int) -> None:
    """``count`` customers. Each has a code: without one, trytond draws it from a sequence, a
    write of ``ir.sequence`` per party that was a quarter of the seeding time."""
    rpc = server.rpc()
    try:
        [customer] = rpc.model("party.category", "search", [("name", "=", "Customer")], 0, None, None, {})
        rows = rpc.model("country.country", "search_read", [], 0, None, None, ["code"], {})
        country = {row["code"]: row["id"] for row in rows}
        for start in range(0, count, SEED_BATCH):
            values = []
            for n in range(start, min(count, start + SEED_BATCH)):
                code, city = CITIES[n % len(CITIES)]
                mechanisms = [{"type": "phone", "value": f"+47 {22000000 + n}"},
                              {"type": "email", "value": f"post@customer{n}.test"}]  # fmt: skip
                values.append(
                    {
                        "name": f"Customer {n} {'AS' if code == 'NO' else 'AB'}",
                        "code": f"C{n:06d}",
                        "categories": [("add", [customer])],
                        "contact_mechanisms": [("create", mechanisms)],
                        "addresses": [("create", [{"city": city, "country": country[code]}])],
                    }
                )
            rpc.model("party.party", "create", values, {})
    finally:
        rpc.close()


#: The operations an import runs; the calls of the others (connection set-up) are not counted.
IMPORT_OPERATIONS = frozenset({"GetActorsByTimestamp", "GetActors"})


def serve(data_dir: str, port: int, stats: str, profile: str) -> None:
    """The connector host; at its end, the JSON-RPC calls the import's requests made, by method, to
    ``stats`` (JSON) and, with ``profile``, a cProfile of those requests (decoding, connector,
    encoding)."""
    import cProfile

    import uvicorn

    from erpsync.connectors.tryton import TrytonConnector
    from erpsync.sdk.host import ConnectorHost

    host = ConnectorHost(Path(data_dir), [TrytonConnector], secrets=[SECRET.encode()])
    connector = host.connectors["tryton"]
    assert isinstance(connector, TrytonConnector)
    profiler = cProfile.Profile() if profile else None
    dispatch: Callable[[str, str, bytes], tuple[int, bytes]] = host.dispatch
    calls: dict[str, list[float]] = {}

    def totals() -> dict[str, tuple[int, float]]:
        found: dict[str, tuple[int, float]] = {}
        for rpc in connector.rpc_clients():
            for method, figure in rpc.stats().items():
                count, spent = found.get(method, (0, 0.0))
                found[method] = (count + figure.calls, spent + figure.seconds)
        return found

    def counted(name: str, operation: str, body: bytes) -> tuple[int, bytes]:
        if operation not in IMPORT_OPERATIONS:
            return dispatch(name, operation, body)
        # The import asks for one page at a time: the difference is this request's calls.
        before = totals()
        # Requests run in worker threads: profile each where it runs.
        if profiler is None:
            reply = dispatch(name, operation, body)
        else:
            reply = profiler.runcall(dispatch, name, operation, body)
        for method, (count, spent) in totals().items():
            total = calls.setdefault(method, [0, 0.0])
            total[0] += count - before.get(method, (0, 0.0))[0]
            total[1] += spent - before.get(method, (0, 0.0))[1]
        return reply

    host.dispatch = counted  # type: ignore[method-assign]
    # uvicorn raises the signal that stopped it again once it is done: make that an exit that runs
    # the ``finally`` below rather than the default handler's instant death.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    try:
        uvicorn.run(host.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    finally:
        Path(stats).write_text(json.dumps({m: c for m, c in calls.items() if c[0]}))
        if profiler is not None:
            profiler.dump_stats(profile)


def configure(hub_dir: Path, database: Path, url: str, config: dict[str, str]) -> int:
    """A hub with an active connection to Tryton: Customer synced into the CRM, Country by name."""
    from erpsync.crm.db import Base
    from erpsync.crm.lists import add_list_item, list_items
    from erpsync.crm.seed import ensure_standard_lists
    from erpsync.hub import activation, connections, connectors, list_mappings, mappings
    from erpsync.hub.connections import ConnectionDraft
    from erpsync.hub.list_mappings import ItemChoice
    from erpsync.hub.mappings import FieldMappingChange
    from erpsync.hub.service import Hub

    sessions = demo_bench._sessions(database)
    Base.metadata.create_all(sessions.kw["bind"])
    hub = Hub.create(sessions, hub_dir, connector_secret=SECRET)
    with hub.session() as session:
        ensure_standard_lists(session)
    connector_id = connectors.save_connector(hub, 0, "Tryton", url).id
    record = connections.save_connection(
        hub, ConnectionDraft(connector_id=connector_id, display_name="Tryton", config=config)
    )
    view = mappings.actor_type_mapping(hub, record.id, "Customer")
    changes = [
        FieldMappingChange(
            erp_field_id=f.erp_field_id,
            erp_field_key=f.erp_field_key,
            crm_field_key=FIELDS.get(f.erp_field_key, ""),
            sync_to_crm=f.erp_field_key in FIELDS,
            sync_to_erp=f.erp_field_key in FIELDS,
            show_in_gui=False,
            show_in_search=f.erp_field_key == "NAME",
        )
        for f in view.fields
    ]
    mappings.save_actor_type_mapping(hub, record.id, "Customer", True, changes)
    sent = []
    for entry in list_mappings.connection_list_mappings(hub, record.id).lists:
        if entry.erp_actor_type != "Customer" or entry.crm_list_name != "country":
            continue
        with hub.session() as session:
            have = {item.name: item.id for item in list_items(session, "country")}
            for pair in entry.pairs:
                if pair.erp_item_name not in have:
                    have[pair.erp_item_name] = add_list_item(session, "country", pair.erp_item_name).id
        sent.append(
            (entry.erp_field_id, [ItemChoice(p.erp_item_key, have[p.erp_item_name]) for p in entry.pairs])
        )
    list_mappings.save_connection_list_mappings(hub, record.id, sent)
    reasons = activation.toggle_connection_active(hub, record.id)
    assert reasons == [], reasons
    hub.close()
    sessions.kw["bind"].dispose()
    return record.id


def _host(role_file: str, data_dir: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, role_file, "--role", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    return subprocess.Popen([*argv, *extra], env={**os.environ, "PYTHONUNBUFFERED": "1"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["main", "serve"], default="main")
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=2_000)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stats", default="", help="(serve) where to write the import's JSON-RPC calls")
    parser.add_argument("--profile", default="", help="Write a cProfile of the connector host to this file.")
    args = parser.parse_args()
    if args.role == "serve":
        serve(args.data_dir, args.port, args.stats, args.profile)
        return

    from tests.connectors.tryton.server import derived_database
    from tests.connectors.tryton.server import serve as serve_tryton

    from erpsync.connectors.demo import database_path

    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "hub").mkdir()
        # -- the demo connector, as bench/import_throughput.py measures it
        demo_bench.seed(database_path(root / "erp", "bench"), args.actors)
        port = demo_bench._free_port()
        host = _host(demo_bench.__file__, root / "erp", port)
        try:
            demo_bench._wait_for(port)
            template = root / "hub" / "demo.sqlite"
            demo_id = demo_bench.configure(
                root / "hub", template, f"http://127.0.0.1:{port}/connectors/demo", "bench"
            )
            figures["demo"] = demo_bench._measure("import", root / "hub", template, demo_id, args.page_size)
        finally:
            host.terminate()
            host.wait(10)
        # -- the Tryton connector against a real trytond
        started = time.perf_counter()
        name = f"bench-{args.actors}-customers-v{SEED_VERSION}"
        database, built = derived_database(name, lambda server: seed(server, args.actors))
        with serve_tryton(root / "tryton", database) as server:
            setup = time.perf_counter() - started
            how = "created" if built else f"reused from {database.relative_to(ROOT)}"
            print(f"set-up: {args.actors} Tryton customers {how}, trytond started: {setup:.1f} s")
            port = demo_bench._free_port()
            stats = root / "rpc-stats.json"
            extra = ["--stats", str(stats), *(["--profile", args.profile] if args.profile else [])]
            host = _host(__file__, root / "tryton-host", port, *extra)
            try:
                demo_bench._wait_for(port)
                template = root / "hub" / "tryton.sqlite"
                url = f"http://127.0.0.1:{port}/connectors/tryton"
                tryton_id = configure(root / "hub", template, url, server.config())
                figures["tryton"] = demo_bench._measure(
                    "import", root / "hub", template, tryton_id, args.page_size
                )
            finally:
                host.terminate()
                host.wait(30)
            calls: dict[str, list[float]] = json.loads(stats.read_text())
    print(f"{'connector':<10} {'actors':>8} {'seconds':>8} {'actors/s':>9} {'errors':>7}")
    for key, f in figures.items():
        print(
            f"{key:<10} {f['actors']:>8} {f['seconds']:>8.2f} "
            f"{f['actors'] / f['seconds']:>9.0f} {f['errors']:>7}"
        )
    _report_calls(calls, figures["tryton"]["seconds"])
    rate = figures["tryton"]["actors"] / figures["tryton"]["seconds"]
    met = rate >= 1_500 and figures["tryton"]["actors"] == args.actors
    print(f"Tryton import: {rate:.0f} actors/s (target >= 1,500): {'met' if met else 'NOT met'}")


def _report_calls(calls: dict[str, list[float]], seconds: float) -> None:
    """The JSON-RPC calls of the import's requests to the Tryton host."""
    print(f"{'JSON-RPC method':<45} {'calls':>6} {'seconds':>8}")
    for method, (count, spent) in sorted(calls.items(), key=lambda item: -item[1][1]):
        print(f"{method:<45} {int(count):>6} {spent:>8.2f}")
    total = sum(spent for _, spent in calls.values())
    print(
        f"{'all':<45} {sum(int(c) for c, _ in calls.values()):>6} {total:>8.2f}  "
        f"(trytond answering the import: {total / seconds:.0%} of its {seconds:.2f} s)"
    )


if __name__ == "__main__":
    main()
