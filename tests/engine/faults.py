"""On-the-wire connector faults for the sync engine's tests.

:class:`FaultInjector` is an ASGI middleware in front of the demo connector host: per a shared
:class:`FaultPlan` it makes the n-th sync call after :meth:`FaultPlan.arm` fail the way a real
connector or network does — HTTP 5xx, no answer before the client's timeout, a body that is not
JSON, JSON of the wrong shape, or a ``SaveActors`` reply that refuses actors or confirms none —
either *before* the connector ran the call (nothing happened in the ERP) or *after* it (the ERP did
the work and the reply is lost or falsified). The engine sees only what the HTTP client sees.

:func:`faulty_demo_erp` serves the demo connector behind the injector, like
:func:`tests.hub.fixtures_admin.demo_erp`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erpsync.connectors.demo import DemoConnector
from erpsync.sdk.host import ConnectorHost
from tests.helpers import run_asgi_server
from tests.hub.fixtures_admin import CONNECTOR_SECRET

__all__ = [
    "SAVE_ONLY",
    "SYNC_OPERATIONS",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FaultPlan",
    "FaultyErp",
    "faulty_demo_erp",
]

#: The calls a sync cycle makes; only these are counted and faulted.
SYNC_OPERATIONS = frozenset({"GetActorsByTimestamp", "GetDeletedActors", "GetActors", "SaveActors"})


#: Valid JSON, but no reply of the protocol: every member has the wrong type.
WRONG_SHAPE = (
    b'{"IsOk": true, "Actors": {"ErpKey": 7}, "ActorResults": 3, '
    b'"DeletedActors": "none", "NextPageToken": []}'
)


class FaultKind(StrEnum):
    #: HTTP 500 with an empty body.
    http_500 = "http_500"
    #: No answer until the client has given up (the plan's ``timeout_sleep``).
    timeout = "timeout"
    #: HTTP 200 whose body is not JSON.
    garbage = "garbage"
    #: HTTP 200 with JSON of the wrong shape.
    wrong_shape = "wrong_shape"
    #: SaveActors only: every actor refused per actor (``IsOk`` false in its result); with
    #: ``after`` the ERP did save them all.
    refuse_all = "refuse_all"
    #: SaveActors only: the call runs, then the first actor's result is turned into a refusal.
    refuse_first = "refuse_first"
    #: SaveActors only: HTTP 200 ``IsOk`` naming no saved actor (no ``ActorResults``, no ``Actors``),
    #: and nothing saved.
    unconfirmed = "unconfirmed"


#: Kinds that only make sense for SaveActors.
SAVE_ONLY = frozenset({FaultKind.refuse_all, FaultKind.refuse_first, FaultKind.unconfirmed})
#: Kinds for which the call always runs / never runs, whatever ``after`` says.
_ALWAYS_RUNS = frozenset({FaultKind.refuse_first})
_NEVER_RUNS = frozenset({FaultKind.unconfirmed})


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    #: True: the connector runs the call first (the ERP is written), then the reply goes wrong.
    after: bool = False

    @property
    def runs(self) -> bool:
        """Does the connector run the call (and write the ERP) before the reply goes wrong?"""
        return self.kind in _ALWAYS_RUNS or (self.after and self.kind not in _NEVER_RUNS)

    def __str__(self) -> str:
        return f"{self.kind.value}{' after the call ran' if self.runs else ''}"


@dataclass
class FaultPlan:
    """Which sync call fails how. Thread-safe: the server thread takes, the test thread arms."""

    #: How long a ``timeout`` fault keeps the client waiting (longer than the client's timeout).
    timeout_sleep: float = 1.0
    #: (operation or None for any sync call, 0-based number among those calls, fault), not yet fired.
    _armed: list[tuple[str | None, int, Fault]] = field(default_factory=list)
    #: Every sync operation called since the last :meth:`reset`, in order.
    calls: list[str] = field(default_factory=list)
    #: (operation, fault) of every fault that fired since the last :meth:`reset`.
    fired: list[tuple[str, Fault]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """No fault armed; counting starts again."""
        with self._lock:
            self._armed.clear()
            self.calls.clear()
            self.fired.clear()

    def arm(self, fault: Fault, at: int, operation: str | None = None) -> None:
        """Make call number ``at`` (0-based, since :meth:`reset`) of ``operation`` — of any sync
        operation when None — fail with ``fault``. Refusals only ever hit SaveActors."""
        if fault.kind in SAVE_ONLY:
            operation = "SaveActors"
        with self._lock:
            self._armed.append((operation, at, fault))

    def take(self, operation: str) -> Fault | None:
        """The fault for this call, if one is armed for it (counted either way)."""
        if operation not in SYNC_OPERATIONS:
            return None
        with self._lock:
            overall = len(self.calls)
            same = self.calls.count(operation)
            self.calls.append(operation)
            for entry in self._armed:
                wanted, at, fault = entry
                if (wanted is None and at == overall) or (wanted == operation and at == same):
                    self._armed.remove(entry)
                    self.fired.append((operation, fault))
                    return fault
            return None


async def _body_of(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class FaultInjector:
    """ASGI middleware: the plan's faults, in front of ``app``. Paths end in ``/<Operation>``."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        operation = str(scope["path"]).rstrip("/").rsplit("/", 1)[-1]
        fault = self.plan.take(operation)
        if fault is None:
            await self.app(scope, receive, send)
            return
        body = await _body_of(receive)
        status, reply = 0, b""
        headers: list[tuple[bytes, bytes]] = []
        if fault.runs:
            status, headers, reply = await self._run(scope, body)
            if status != 200 and fault.kind in SAVE_ONLY:  # nothing to falsify: pass it on
                await _respond(send, status, reply, headers)
                return
        match fault.kind:
            case FaultKind.http_500:
                await _respond(send, 500, b"")
            case FaultKind.timeout:
                await asyncio.sleep(self.plan.timeout_sleep)
                await _respond(send, 504, b"")
            case FaultKind.garbage:
                await _respond(send, 200, b'{"IsOk": true, "Actors": [{"ActorType": "Cust')
            case FaultKind.wrong_shape:
                await _respond(send, 200, WRONG_SHAPE)
            case FaultKind.refuse_all:
                count = len(json.loads(body).get("Actors") or [])
                results = [_refusal(index) for index in range(count)]
                await _respond(send, 200, _json({"IsOk": True, "Actors": [], "ActorResults": results}))
            case FaultKind.refuse_first:
                data = json.loads(reply)
                results = data.get("ActorResults") or []
                if results:
                    results[0] = _refusal(results[0].get("Index", 0))
                await _respond(send, 200, _json(data))
            case FaultKind.unconfirmed:
                await _respond(send, 200, b'{"IsOk": true, "State": "Ok", "Actors": []}')

    async def _run(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Run the wrapped app on ``body``; its status, headers and body."""
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if delivered:  # the app asks again only to notice a disconnect
                await asyncio.sleep(3600)
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, headers, b"".join(chunks)


def _refusal(index: int) -> dict[str, Any]:
    return {
        "Index": index,
        "IsOk": False,
        "State": "Error",
        "UserExplanation": "Injected refusal: the ERP did not accept this actor.",
        "ErrorCode": "InvalidValue",
        "FailureKind": "actor",
    }


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    sent = [(k, v) for k, v in (headers or [(b"content-type", b"application/json")])]
    sent.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": body, "more_body": False})


@dataclass(frozen=True)
class FaultyErp:
    """The demo connector behind a :class:`FaultInjector`: ``url`` is the connector's base URL."""

    url: str
    data_dir: Path
    plan: FaultPlan


@contextmanager
def faulty_demo_erp(data_dir: Path, plan: FaultPlan, secret: str = CONNECTOR_SECRET) -> Iterator[FaultyErp]:
    """Serve the demo connector (databases under ``data_dir``) behind the plan's faults."""
    host = ConnectorHost(
        data_dir, [DemoConnector], secrets=[secret.encode()], encryption_key=Fernet.generate_key()
    )
    try:
        with run_asgi_server(FaultInjector(host.app, plan)) as base:
            yield FaultyErp(f"{base}/connectors/demo", data_dir, plan)
    finally:
        demo = host.connectors["demo"]
        assert isinstance(demo, DemoConnector)
        demo.close()
