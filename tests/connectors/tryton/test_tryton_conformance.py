"""The conformance checker against the Tryton connector served over HTTP, on a real trytond."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from erpsync.connectors.tryton import TrytonConnector
from erpsync.protocol import ConnectorClient
from erpsync.sdk.conformance import format_row, run_checks
from erpsync.sdk.host import ConnectorHost
from tests.helpers import run_asgi_server

from .server import TrytonServer

SECRET = b"tryton-conformance-secret"


def test_every_conformance_check_passes(tryton: TrytonServer, tmp_path: Path) -> None:
    host = ConnectorHost(tmp_path, [TrytonConnector], secrets=[SECRET], encryption_key=Fernet.generate_key())
    try:
        with (
            run_asgi_server(host.app) as base,
            ConnectorClient(f"{base}/connectors/tryton", secret=SECRET) as client,
        ):
            rows = list(run_checks(client, tryton.config()))
    finally:
        connector = host.connectors["tryton"]
        assert isinstance(connector, TrytonConnector)
        connector.close()
    failed = [format_row(r) for r in rows if r.failed]
    assert not failed, "\n".join(failed)
    skipped = {r.name for r in rows if r.skipped}
    # Only the delete feed is not offered: Tryton keeps no record of deleted parties.
    assert all(name.startswith("GetDeletedActors") for name in skipped), skipped
    assert len(rows) > 300
