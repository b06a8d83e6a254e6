"""Helpers shared by the test suites."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

__all__ = ["FIXED_EXAMPLES", "run_asgi_server"]

#: Property tests draw the same examples on every run, so that the suite passes or fails alike each
#: time; ``ERPSYNC_EXPLORE=1`` draws new ones (to look for new failures, not in CI).
FIXED_EXAMPLES = not os.environ.get("ERPSYNC_EXPLORE")


@contextmanager
def run_asgi_server(app: ASGIApp, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a background thread; yield its base URL.

    The socket is bound here and handed to uvicorn, so no other process can take the port between
    choosing and binding it. On exit the server is asked to stop and the thread is joined.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Without it every kept-alive request waits ~40 ms for delayed ACKs (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        sock.close()
