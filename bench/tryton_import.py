"""Import from ERP with the Tryton connector: 10,000 Tryton customers into a fresh CRM through the
hub's import (the engine path of ``bench/import_throughput.py``), beside the demo connector's figure
for the same number in the same run.

A real trytond (``make tryton-env``) serves a copy of the test template database; the customers are
created in bulk (2,000 per ``create`` call), each with a phone, an e-mail and an address. The
connector host runs in its own process, as in the demo benchmark.

    .venv/bin/python bench/tryton_import.py [--actors 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import import_throughput as demo_bench  # noqa: E402 - the demo benchmark's own helpers

SECRET = demo_bench.SECRET
FIELDS = {
    "NAME": "name",
    "PHONE": "phone",
    "EMAIL": "email",
    "POSTALCITY": "postal_city",
    "COUNTRY": "country",
}
CITIES = (("NO", "Oslo"), ("NO", "Bergen"), ("SE", "Stockholm"), ("DK", "Aarhus C"), ("DE", "Berlin"))


def seed(server: Any, count: int) -> None:
    rpc = server.rpc()
    try:
        [customer] = rpc.model("party.category", "search", [("name", "=", "Customer")], 0, None, None, {})
        rows = rpc.model("country.country", "search_read", [], 0, None, None, ["code"], {})
        country = {row["code"]: row["id"] for row in rows}
        for start in range(0, count, 2000):
            values = []
            for n in range(start, min(count, start + 2000)):
                code, city = CITIES[n % len(CITIES)]
                mechanisms = [{"type": "phone", "value": f"+47 {22000000 + n}"},
                              {"type": "email", "value": f"post@customer{n}.test"}]  # fmt: skip
                values.append(
                    {
                        "name": f"Customer {n} {'AS' if code == 'NO' else 'AB'}",
                        "categories": [("add", [customer])],
                        "contact_mechanisms": [("create", mechanisms)],
                        "addresses": [("create", [{"city": city, "country": country[code]}])],
                    }
                )
            rpc.model("party.party", "create", values, {})
    finally:
        rpc.close()


def serve(data_dir: str, port: int) -> None:
    import uvicorn

    from erpsync.connectors.tryton import TrytonConnector
    from erpsync.sdk.host import ConnectorHost

    host = ConnectorHost(Path(data_dir), [TrytonConnector], secrets=[SECRET.encode()])
    uvicorn.run(host.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


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


def _host(role_file: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, role_file, "--role", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    return subprocess.Popen(argv, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["main", "serve"], default="main")
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=2_000)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role == "serve":
        serve(args.data_dir, args.port)
        return

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
        with serve_tryton(root / "tryton") as server:
            started = time.perf_counter()
            seed(server, args.actors)
            print(f"seeded {args.actors} Tryton customers in {time.perf_counter() - started:.1f} s")
            port = demo_bench._free_port()
            host = _host(__file__, root / "tryton-host", port)
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
                host.wait(10)
    print(f"{'connector':<10} {'actors':>8} {'seconds':>8} {'actors/s':>9} {'errors':>7}")
    for name, f in figures.items():
        print(
            f"{name:<10} {f['actors']:>8} {f['seconds']:>8.2f} "
            f"{f['actors'] / f['seconds']:>9.0f} {f['errors']:>7}"
        )


if __name__ == "__main__":
    main()
