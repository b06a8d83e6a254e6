"""Running one operation against one connector: request carrier in, reply carrier out.

:func:`run_operation` applies the rules every operation shares — refuse an actor type the connection
does not support before the connector sees it, and turn every exception into an error carrier — and
leaves the operation itself to its function in :mod:`.handlers`.
"""

from __future__ import annotations

import logging

from erpsync.protocol import Carrier, ErrorCode, Operation, PluginResponse
from erpsync.protocol import requests as rq

from .connector import ErpConnector
from .errors import ConnectorFailure
from .handlers import HANDLERS
from .operation_run import OperationRun, ReplyInvalid
from .replies import failure_reply, internal_error

__all__ = ["run_operation"]

log = logging.getLogger("erpsync.sdk.host")


def run_operation(connector: ErpConnector, operation: Operation, request: Carrier) -> PluginResponse:
    """The reply carrier for ``request``; never raises for anything the connector does."""
    run = OperationRun(connector, operation)
    try:
        if isinstance(request, rq.ActorTypeRequest):
            run.require_actor_type(request.connection_guid, request.actor_type)
        return HANDLERS[operation.name](run, request)
    except ReplyInvalid as exc:
        log.error("connector %s broke the contract in %s: %s", connector.name, operation.name, exc)
        return internal_error(operation.response, operation.name, f"invalid reply: {exc}", detail=str(exc))
    except ConnectorFailure as exc:
        # Declared failures are answers, not bugs; their texts are the connector's and stay out of
        # the log in case a connector author put a config value in one.
        log.info("connector %s answered %s with %s", connector.name, operation.name, exc.error_code)
        return failure_reply(operation.response, operation.name, exc)
    except Exception as exc:
        reply = failure_reply(operation.response, operation.name, exc)
        if reply.error_code == ErrorCode.InternalError:
            log.exception("connector %s failed while running %s", connector.name, operation.name)
        return reply
