"""Reading demo actors over HTTP on loopback, page by page.

Targets (2-core machine): at least 20,000 actors/s at 100,000 actors, and the reading process's peak
memory at 100,000 actors within 1.2x of its peak at 10,000 (the reader streams pages; memory must
not grow with the feed).

The connector host runs in its own process (uvicorn), the reader in another; each reading run is a
fresh process so that its peak RSS is its own.

    .venv/bin/python bench/protocol_throughput.py [--actors 100000] [--page-size 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SECRET = b"bench-secret"
ACTOR_TYPES = ("Customer", "Supplier", "Partner", "Person", "Project")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: str, port: int) -> None:
    import uvicorn

    from erpsync.connectors.demo import DemoConnector
    from erpsync.sdk.host import ConnectorHost

    host = ConnectorHost(Path(data_dir), [DemoConnector], secrets=[SECRET])
    uvicorn.run(host.app, host="127.0.0.1", port=port, log_level="warning")


def read(url: str, limit: int, page_size: int) -> None:
    """Read ``limit`` actors through the paged change feed; print figures as JSON."""
    from erpsync.protocol import ConnectorClient, call

    guid = str(uuid.uuid4())
    with ConnectorClient(url, secret=SECRET, timeout=120) as client:
        client.send(
            call.save_connection(guid, {"Database": "bench", "Username": "admin", "Password": "demo"})
        )
        started = time.perf_counter()
        count = pages = 0
        for actor_type in ACTOR_TYPES:
            token = ""
            while count < limit:
                size = min(page_size, limit - count)
                page = client.send(
                    call.get_actors_by_timestamp(guid, "", actor_type, page_size=size, page_token=token)
                )
                count += len(page.actors)
                pages += 1
                token = page.next_page_token
                if not token:
                    break
            if count >= limit:
                break
        elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"actors": count, "pages": pages, "seconds": elapsed, "peak_rss_kib": peak_kib}))


def _wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the connector host did not start")


def _run_reader(url: str, limit: int, page_size: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--role",
            "read",
            "--url",
            url,
            "--actors",
            str(limit),
            "--page-size",
            str(page_size),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["main", "serve", "read"], default="main")
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=2_000)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    if args.role == "serve":
        serve(args.data_dir, args.port)
        return
    if args.role == "read":
        read(args.url, args.actors, args.page_size)
        return

    from erpsync.connectors.demo import database_path, seed_database

    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        seed_database(database_path(Path(data_dir), "bench"), args.actors + 2_000, password="demo")
        print(f"seeded {args.actors + 2_000} actors in {time.perf_counter() - started:.1f} s")
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--role", "serve", "--data-dir", data_dir, "--port", str(port)],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_for(port)
            url = f"http://127.0.0.1:{port}/connectors/demo"
            _run_reader(url, 2_000, args.page_size)  # warm the host's caches
            small = _run_reader(url, args.actors // 10, args.page_size)
            large = _run_reader(url, args.actors, args.page_size)
        finally:
            server.terminate()
            server.wait(10)
    rate = large["actors"] / large["seconds"]
    ratio = large["peak_rss_kib"] / small["peak_rss_kib"]
    print(
        f"{small['actors']:>7} actors: {small['actors'] / small['seconds']:>9.0f} actors/s, "
        f"peak RSS {small['peak_rss_kib'] / 1024:.1f} MiB"
    )
    print(
        f"{large['actors']:>7} actors: {rate:>9.0f} actors/s, "
        f"peak RSS {large['peak_rss_kib'] / 1024:.1f} MiB "
        f"({large['pages']} pages of {args.page_size})"
    )
    print(
        f"memory ratio {ratio:.3f} (target <= 1.2); throughput target >= 20,000 actors/s: "
        f"{'met' if rate >= 20_000 and ratio <= 1.2 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
