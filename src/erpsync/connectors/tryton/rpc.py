"""Talking to trytond over its JSON-RPC API, one login session per connection config.

``POST http://host:port/<database>/rpc/`` with ``{"id", "method", "params"}``; the reply holds
``result`` or ``error``. A session is opened with ``common.db.login`` and sent as
``Authorization: Session base64(login:user_id:key)``; when trytond forgets it (timeout, restart:
HTTP 401) the client logs in again once and repeats the call.

Failures, as the connector reports them:

* :class:`TrytonUnavailable` - no answer, a timeout, 5xx or 429: retry later.
* :class:`TrytonConfigError` - the URL, database, user or password is wrong, or the user lacks rights.
* :class:`TrytonFault` - trytond answered with an error: ``UserError`` (Tryton refused the values)
  or any other exception (a model or field it does not have: a module is missing).
* :class:`TrytonProtocolError` - the reply is not JSON-RPC at all.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from erpsync.sdk.languages import explain as _

__all__ = [
    "RpcStats",
    "TrytonConfigError",
    "TrytonError",
    "TrytonFault",
    "TrytonProtocolError",
    "TrytonRpc",
    "TrytonUnavailable",
]

_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
#: trytond sends an answer over 1,400 bytes as a stream of JSON tokens: gzip-compressed when the
#: client accepts gzip, else one tiny chunk per token (about 13 times slower for a page of parties),
#: and labelled gzip either way. So gzip is always asked for, whatever httpx's defaults become.
_HEADERS = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}


@dataclass(slots=True)
class RpcStats:
    """How often one method was called and how long its answers took (seconds, wall clock)."""

    calls: int = 0
    seconds: float = 0.0


class TrytonError(Exception):
    """Base of the client's failures; the message is meant for people."""


class TrytonUnavailable(TrytonError):
    """The server did not answer usefully now; the same call may work later."""


class TrytonConfigError(TrytonError):
    """The connection settings cannot work: wrong URL, database, login or rights."""


class TrytonProtocolError(TrytonError):
    """The reply is not a JSON-RPC answer of trytond."""


class TrytonFault(TrytonError):
    """trytond ran the call and answered with an error.

    ``kind`` is the exception's name (``UserError``, ``UserWarning``, ``AccessError`` …, or trytond's
    text for other exceptions); ``message`` what trytond said.
    """

    def __init__(self, kind: str, message: str, method: str) -> None:
        super().__init__(f"Tryton refused {method}: {message}" if message else f"Tryton failed in {method}")
        self.kind = kind
        self.message = message
        self.method = method

    @property
    def is_user_error(self) -> bool:
        """Tryton refused the values (a validation rule), not a fault of the call itself."""
        return self.kind in ("UserError", "UserWarning")


def _fault(error: object, method: str) -> TrytonFault:
    """``["UserError", ["message", "description", domain]]`` or ``["'KeyError text'", "traceback"]``."""
    if not isinstance(error, list) or not error or not isinstance(error[0], str):
        raise TrytonProtocolError(_("Tryton's error reply to %(method)s has an unknown shape", method=method))
    kind, detail = error[0], error[1] if len(error) > 1 else ""
    if isinstance(detail, list) and detail and isinstance(detail[0], str):
        message = detail[0]
        if len(detail) > 1 and isinstance(detail[1], str) and detail[1]:
            message += f" ({detail[1]})"
        return TrytonFault(kind, message, method)
    return TrytonFault("Error", kind, method)


def _decode(content: bytes, method: str, request_id: int) -> Any:
    try:
        reply = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise TrytonProtocolError(_("Tryton's reply to %(method)s is not JSON", method=method)) from None
    if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
        raise TrytonProtocolError(_("Tryton's reply to %(method)s is not a JSON-RPC answer", method=method))
    if reply.get("id") != request_id:
        raise TrytonProtocolError(_("Tryton's reply to %(method)s answers another request", method=method))
    if reply.get("error") is not None:
        raise _fault(reply["error"], method)
    return reply.get("result")


class TrytonRpc:
    """A logged-in JSON-RPC session with one trytond database; thread-safe.

    Example::

        rpc = TrytonRpc("http://127.0.0.1:8000", "erp", "admin", "secret")
        ids = rpc.call("model.party.party.search", [("name", "ilike", "acme%")], 0, None, None, {})
    """

    def __init__(
        self,
        url: str,
        database: str,
        login: str,
        password: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.login = login
        self._password = password  # kept for the re-login; never logged or shown
        # One client for the session's life: its pooled keep-alive connection saves a TCP set-up
        # per call.
        self._client = httpx.Client(timeout=_TIMEOUT, transport=transport, headers=_HEADERS)
        self._lock = threading.Lock()
        self._authorization = ""
        self._ids = itertools.count(1)
        self._stats: dict[str, RpcStats] = {}
        self._stats_lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"{self.url}/{self.database}/rpc/"

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:  # the password stays out of every representation
        return f"TrytonRpc({self.url!r}, {self.database!r}, {self.login!r})"

    def stats(self, reset: bool = False) -> dict[str, RpcStats]:
        """Calls and time per method since the start (or the last reset): what a page costs."""
        with self._stats_lock:
            copy = {method: RpcStats(s.calls, s.seconds) for method, s in self._stats.items()}
            if reset:
                self._stats.clear()
        return copy

    # -- the wire ----------------------------------------------------------------------------------

    def _post(self, method: str, params: Sequence[Any], authorization: str) -> tuple[int, bytes, int]:
        request_id = next(self._ids)
        body = orjson.dumps({"id": request_id, "method": method, "params": list(params)})
        headers = {"Authorization": authorization} if authorization else None
        started = time.perf_counter()
        try:
            response = self._client.post(self.endpoint, content=body, headers=headers)
        except httpx.TimeoutException:
            raise TrytonUnavailable(
                _("Tryton at %(url)s did not answer %(method)s in time", url=self.url, method=method)
            ) from None
        except httpx.HTTPError as exc:
            raise TrytonUnavailable(
                _(
                    "Tryton at %(url)s cannot be reached: %(problem)s",
                    url=self.url,
                    problem=type(exc).__name__,
                )
            ) from None
        finally:
            elapsed = time.perf_counter() - started
            with self._stats_lock:
                stats = self._stats.setdefault(method, RpcStats())
                stats.calls += 1
                stats.seconds += elapsed
        return response.status_code, response.content, request_id

    def _check_status(self, status: int, method: str) -> None:
        if status == 404:
            raise TrytonConfigError(
                _(
                    "The Tryton server at %(url)s has no database %(database)r (or the URL does not point "
                    "at a Tryton server).",
                    url=self.url,
                    database=self.database,
                )
            )
        if status == 403:
            raise TrytonConfigError(
                _(
                    "The Tryton user %(user)r is not allowed to run %(method)s; grant the access rights "
                    "listed in the connector's documentation.",
                    user=self.login,
                    method=method,
                )
            )
        if status == 429:
            raise TrytonUnavailable(_("Tryton refuses logins for a while after too many failed attempts"))
        if status >= 500:
            raise TrytonUnavailable(
                _("Tryton answered HTTP %(status)s to %(method)s", status=status, method=method)
            )
        if status != 200:
            raise TrytonProtocolError(
                _("Tryton answered HTTP %(status)s to %(method)s", status=status, method=method)
            )

    # -- session -------------------------------------------------------------------------------------

    def _log_in(self) -> str:
        status, content, request_id = self._post(
            "common.db.login", [self.login, {"password": self._password}], ""
        )
        if status == 401:
            raise TrytonConfigError(
                _("Tryton refused the login of user %(user)r: wrong user name or password.", user=self.login)
            )
        self._check_status(status, "common.db.login")
        result = _decode(content, "common.db.login", request_id)
        if not (isinstance(result, list) and len(result) >= 2 and isinstance(result[0], int)):
            raise TrytonProtocolError(_("Tryton's login reply has an unknown shape"))
        token = f"{self.login}:{result[0]}:{result[1]}".encode()
        return "Session " + base64.b64encode(token).decode()

    def _session(self, stale: str = "") -> str:
        """The current authorization; logs in when there is none or ``stale`` was refused."""
        with self._lock:
            if not self._authorization or self._authorization == stale:
                self._authorization = ""
                self._authorization = self._log_in()
            return self._authorization

    def log_in(self) -> None:
        """Open the session now (the config test)."""
        self._session()

    def call(self, method: str, *params: Any) -> Any:
        """Run ``method`` with ``params``; logs in again once when the session has expired."""
        authorization = self._session()
        status, content, request_id = self._post(method, params, authorization)
        if status == 401:
            authorization = self._session(stale=authorization)
            status, content, request_id = self._post(method, params, authorization)
            if status == 401:
                raise TrytonConfigError(_("Tryton refused the session of user %(user)r.", user=self.login))
        self._check_status(status, method)
        return _decode(content, method, request_id)

    def model(self, model: str, method: str, *params: Any) -> Any:
        """``model.<model>.<method>`` with ``params``."""
        return self.call(f"model.{model}.{method}", *params)
