"""The host's error replies: every refusal and every failure becomes a ``PluginResponse`` carrier.

The hub reads ``ErrorCode`` and ``FailureKind`` to decide what to do (re-send the config, skip the
connection, retry, dead-letter one actor), so each rule here picks them deliberately.
``UserExplanation`` is for people and never carries a stack trace; the traceback goes to
``TechExplanation``.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from erpsync.protocol import ActorResult, ErrorCode, FailureKind, PluginResponse, ResponseState
from erpsync.protocol.carriers import ActorArrayResponse, ActorResultArrayResponse
from erpsync.protocol.codec import ValueError_

from .errors import ConnectorFailure
from .search import SearchError

__all__ = [
    "batch_reply",
    "describe_validation_error",
    "failure_reply",
    "internal_error",
    "refusal",
    "render_location",
]


def refusal(code: ErrorCode, user_explanation: str, tech_explanation: str = "") -> bytes:
    """The body of a refused request (4xx): the connector was never called."""
    reply = PluginResponse.error(user_explanation, tech_explanation, code, FailureKind.config)
    return reply.model_dump_json(by_alias=True).encode()


# -- request validation ------------------------------------------------------------------------


def render_location(loc: Sequence[int | str]) -> str:
    """``("Actors", 0, "ActorType")`` → ``Actors[0].ActorType`` (pydantic reports wire names)."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _describe_error(error: ErrorDetails) -> str:
    # Custom validators' messages arrive as "Value error, <message>"; the prefix says nothing.
    message = error["msg"].removeprefix("Value error, ")
    where = render_location(error["loc"])
    return f"{where}: {message}" if where else message


def describe_validation_error(exc: ValidationError, operation: str) -> str:
    """One sentence naming every problem of a request body, without echoing the values sent.

    Values are left out on purpose: a ``SaveConnection`` body holds passwords.
    """
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return (
            f"The {operation} request is not valid JSON: {errors[0]['msg'].removeprefix('Invalid JSON: ')}."
        )
    if any(e["type"] == "model_type" and not e["loc"] for e in errors):
        return f"The {operation} request must be a JSON object."
    return f"The {operation} request is not valid: " + "; ".join(_describe_error(e) for e in errors) + "."


# -- connector failures ------------------------------------------------------------------------


def failure_reply(response: type[PluginResponse], operation: str, exc: Exception) -> PluginResponse:
    """The reply for an exception the connector raised while running ``operation``."""
    if isinstance(exc, ConnectorFailure):
        return response.error(exc.user_explanation, exc.tech_explanation, exc.error_code, exc.failure_kind)
    if isinstance(exc, NotImplementedError):
        return response.error(
            f"The connector does not support {operation}.",
            f"{operation} is not implemented by this connector",
            ErrorCode.NotSupported,
            FailureKind.config,
        )
    if isinstance(exc, ValueError_ | SearchError):
        return response.error(str(exc), type(exc).__name__, ErrorCode.InvalidValue, FailureKind.actor)
    return internal_error(response, operation, "".join(traceback.format_exception(exc)))


def internal_error(
    response: type[PluginResponse], operation: str, tech_explanation: str, detail: str = ""
) -> PluginResponse:
    """A connector bug: retry later (``transient``). A traceback goes to ``TechExplanation`` only;
    ``detail``, a one-line description of a broken reply, is shown to people as well."""
    return response.error(
        f"The connector failed while running {operation}" + (f": {detail}." if detail else "."),
        tech_explanation,
        ErrorCode.InternalError,
        FailureKind.transient,
    )


# -- batches (SaveActors, CreateActors) ----------------------------------------------------------

_LISTED_FAILURES = 3

T = TypeVar("T")
B = TypeVar("B", ActorArrayResponse, ActorResultArrayResponse)


def _summarise_failures(failed: Sequence[ActorResult], total: int, verb: str) -> str:
    parts = [
        f"#{r.index + 1}: " + (r.user_explanation or r.error_code or "refused").rstrip(".")
        for r in failed[:_LISTED_FAILURES]
    ]
    if len(failed) > _LISTED_FAILURES:
        parts.append(f"and {len(failed) - _LISTED_FAILURES} more")
    return f"{len(failed)} of {total} actors were not {verb}: " + "; ".join(parts) + "."


def _common(values: Sequence[T]) -> T | None:
    return values[0] if values and all(v == values[0] for v in values) else None


def batch_reply(response: type[B], results: Sequence[ActorResult], verb: str, **payload: Any) -> B:
    """Ok when every actor went through, Warning (still IsOk) when some did not, Error when none did.

    When the whole batch failed for one reason (every actor refused with ``ConnectionInfoMissing``,
    say) the reply carries that code and failure kind, so the hub reacts as for a failed call.
    """
    results = list(results)
    failed = [r for r in results if r.failed]
    if not failed:
        return response.ok(actor_results=results, **payload)
    summary = _summarise_failures(failed, len(results), verb)
    if len(failed) < len(results):
        return response(
            is_ok=True,
            state=ResponseState.Warning,
            user_explanation=summary,
            actor_results=results,
            **payload,
        )
    code = _common([r.error_code for r in failed])
    kind = _common([r.failure_kind for r in failed])
    return response.error(
        summary,
        "every actor of the batch failed; see ActorResults",
        code or failed[0].error_code,
        kind or FailureKind.actor,
        actor_results=results,
        **payload,
    )
