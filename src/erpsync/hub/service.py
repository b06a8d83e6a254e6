"""The hub's shared context: database sessions, connector clients and the secret box.

Every hub operation takes a :class:`Hub` (and usually a ``Session`` for its transaction), so that
tests and the API build one the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm.texts import _, joined
from erpsync.protocol import ConnectorClient, ConnectorError, ConnectorTimeout
from erpsync.protocol.signing import load_or_create_secret

from .clients import ConnectorClients
from .config_values import config_by_guid
from .errors import ConnectorFailed
from .models import ErpConnection, ErpConnector
from .secrets import SecretBox, load_key

__all__ = ["Hub", "connector_call", "connector_problem"]

T = TypeVar("T")


@dataclass
class Hub:
    sessions: sessionmaker[Session]
    clients: ConnectorClients
    box: SecretBox

    @classmethod
    def create(
        cls,
        sessions: sessionmaker[Session],
        data_dir: Path,
        secret_key: str | None = None,
        connector_secret: str | None = None,
        timeout: float = 30.0,
        allow_link_local: bool = False,
    ) -> Hub:
        """The hub for a data folder: encryption key and connector signing secret come from the
        arguments (``ERPSYNC_SECRET_KEY`` / ``ERPSYNC_CONNECTOR_SECRET``) or from files there."""
        box = SecretBox(load_key(data_dir, secret_key))
        secret = load_or_create_secret(data_dir / "connector-secret", connector_secret)

        def stored_config(guid: str) -> Mapping[str, str] | None:
            with sessions() as session:
                return config_by_guid(session, guid, box)

        clients = ConnectorClients(secret, stored_config, timeout=timeout, allow_link_local=allow_link_local)
        return cls(sessions=sessions, clients=clients, box=box)

    def client_for(self, session: Session, connection: ErpConnection) -> ConnectorClient:
        connector = session.get(ErpConnector, connection.connector_id)
        assert connector is not None  # a foreign key guarantees it
        return self.clients.for_url(connector.url)

    def close(self) -> None:
        self.clients.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session


def connector_problem(exc: ConnectorError) -> str:
    """What went wrong with a connector call, for people: a connector's refusal names the operation
    and gives its explanation (in every language it packed); a transport failure says what failed."""
    response = getattr(exc, "response", None)
    if isinstance(exc, ConnectorTimeout):
        return _(
            "%(operation)s: the connector did not answer in time", operation=exc.operation or "connector"
        )
    if response is None:
        return str(exc)
    explanation = response.user_explanation or response.tech_explanation or response.error_code or "error"
    return joined(": ", (exc.operation or "connector", explanation))


def connector_call(what: str, send: Callable[[], T]) -> T:
    """Run one connector call; its failure becomes :class:`ConnectorFailed` naming ``what``."""
    try:
        return send()
    except ConnectorError as exc:
        response = getattr(exc, "response", None)
        user = response.user_explanation if response is not None else ""
        code = response.error_code if response is not None else ""
        detail = user or connector_problem(exc)
        raise ConnectorFailed(_("%(what)s failed: %(detail)s", what=what, detail=detail), user, code) from exc
