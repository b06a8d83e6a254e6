"""The order the checks run in, and turning each check's outcome into a row."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from erpsync.protocol import (
    ActorType,
    ConnectorClient,
    ConnectorError,
    ConnectorTransportError,
    MalformedReply,
    call,
)
from erpsync.sdk.search import PARENT_ACTOR_TYPE, PARENT_ERP_KEY

from . import actors, connection, searching, timestamps
from .context import Failed, Run, Skipped
from .report import CheckResult

__all__ = ["run_checks"]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    check: Callable[[], str]


def _step(name: str, check: Callable[..., str], *args: object) -> Step:
    return Step(name, partial(check, *args))


def _connection_steps(run: Run) -> Iterator[Step]:
    yield _step("GetCapabilities", connection.check_capabilities, run)
    yield _step("GetConfigData", connection.check_config_data, run)
    yield _step("TestConfigData", connection.check_test_config, run)
    yield _step("TestConfigData.wrong-password", connection.check_wrong_password, run)
    yield _step("SaveConnection", connection.check_save_connection, run)
    yield _step("TestConnection", connection.check_test_connection, run)
    yield _step("ConnectionInfoMissing.unknown-guid", connection.check_unknown_guid, run)
    yield _step("GetSupportedActorTypes", connection.check_actor_types, run)


def _discovery_steps(run: Run) -> Iterator[Step]:
    for t in run.ordered_types():
        yield _step(f"GetSupportedActorTypeFields[{t}]", connection.check_fields, run, t)
        yield _step(f"GetSearchableFields[{t}]", connection.check_searchable_fields, run, t)
    for name in connection.list_names(run):
        yield _step(f"GetList[{name}]", connection.check_list, run, name)
        yield _step(f"GetListItems[{name}]", connection.check_list_items, run, name)


def _writing_steps(run: Run) -> Iterator[Step]:
    for t in run.ordered_types():
        yield _step(f"CreateActor[{t}]", actors.check_create, run, t)
        yield _step(f"GetActors.read-back[{t}]", actors.check_read_back, run, t)
    for t in run.ordered_types():
        yield _step(f"CreateActor.mandatory-missing[{t}]", actors.check_mandatory_missing, run, t)
        yield _step(f"SaveActors.bad-encoding[{t}]", actors.check_bad_encoding, run, t)
        yield _step(f"SaveActors[{t}]", actors.check_save, run, t)
        yield _step(f"LastModified.monotonic[{t}]", timestamps.check_monotonic, run, t)
        yield _step(f"GetActorsByTimestamp.inclusive[{t}]", timestamps.check_inclusive, run, t)
        yield _step(f"GetActorsByTimestamp.boundary[{t}]", timestamps.check_boundary, run, t)
        yield _step(f"CreateActors[{t}]", actors.check_create_actors, run, t)
        pages = timestamps.check_equal_timestamp_pages
        yield _step(f"GetActorsByTimestamp.equal-timestamp-pages[{t}]", pages, run, t)
        yield _step(f"SaveActors.per-actor-results[{t}]", actors.check_per_actor_results, run, t)


def _advanced_steps(run: Run, t: str) -> Iterator[Step]:
    fields, searchable = run.fields.get(t), run.searchable.get(t)
    if fields is None or searchable is None:
        reason = f"needs the fields and searchable fields of {t}"
        yield Step(f"SearchActorsAdvanced[{t}]", partial(_skip, reason))
        return
    for key in searchable:
        for operator in searching.operators_of(fields[key].field_type):
            yield _step(
                f"SearchActorsAdvanced[{t}.{key} {operator}]", searching.check_advanced, run, t, key, operator
            )


def _search_steps(run: Run) -> Iterator[Step]:
    for t in run.ordered_types():
        yield _step(f"SearchActors[{t}]", searching.check_search_text, run, t)
        yield _step(f"SearchActors.blank[{t}]", searching.check_search_blank, run, t)
        if t == ActorType.Person:
            yield _step(f"SearchActorByParent[{t}]", searching.check_by_parent, run)
        yield from _advanced_steps(run, t)
        if t == ActorType.Person:
            for key in (PARENT_ERP_KEY, PARENT_ACTOR_TYPE):
                yield _step(f"SearchActorsAdvanced[{t}.{key} =]", searching.check_special_key, run, key)


def _closing_steps(run: Run) -> Iterator[Step]:
    for t in run.ordered_types():
        yield _step(f"encodings[{t}]", actors.check_encodings, run, t)
    yield _step("GetActorsByTimestamp.error-unknown-type", connection.check_unknown_type_error, run)
    yield _step("GetActorsByTimestamp.error-unsupported-type", connection.check_unsupported_type_error, run)
    for t in run.ordered_types():
        yield _step(f"GetDeletedActors[{t}]", timestamps.check_deleted_feed, run, t)
    yield _step("DeleteConnection", connection.check_delete_connection, run)
    yield _step("DeleteConnection.forgotten", connection.check_forgotten_after_delete, run)


def _plan(run: Run) -> Iterator[Step]:
    """Steps in order; generated lazily, because later steps depend on what earlier ones found."""
    for stage in (_connection_steps, _discovery_steps, _writing_steps, _search_steps, _closing_steps):
        yield from stage(run)


def _skip(reason: str) -> str:
    raise Skipped(reason)


def _execute(step: Step) -> tuple[CheckResult, Exception | None]:
    """The step's row, and the unexpected exception behind a failed one."""
    try:
        detail = step.check()
    except Failed as exc:
        return CheckResult(step.name, False, str(exc)), None
    except Skipped as exc:
        return CheckResult(step.name, True, str(exc), skipped=True), None
    except Exception as exc:  # any surprise is a failed row, and the run goes on
        return CheckResult(step.name, False, f"{type(exc).__name__}: {exc}"), exc
    return CheckResult(step.name, True, detail), None


def _unreachable(run: Run) -> bool:
    """After a transport error: is the connector gone (it does not even answer GetConfigData)?"""
    try:
        run.client.send(call.get_config_data())
    except ConnectorTransportError as exc:
        return not isinstance(exc, MalformedReply)
    except ConnectorError:
        return False
    return False


def _raw_client(client: ConnectorClient) -> ConnectorClient:
    """The same connector without the ConnectionInfoMissing replay: the checker must see that answer."""
    if client.connection_info is None:
        return client
    return ConnectorClient(
        client.url, secret=client.secret, transport=client.transport, allow_link_local=True
    )


def _clean_up(run: Run) -> None:
    if run.connection_sent and not run.connection_deleted:
        # Best effort: the report already says what went wrong.
        with contextlib.suppress(ConnectorError):
            run.client.send(call.delete_connection(run.guid))


def run_checks(client: ConnectorClient, config_overrides: Mapping[str, str] = {}) -> Iterator[CheckResult]:
    """Run the contract against the connector behind ``client``, one row per check as it completes.

    Uses a fresh random connection GUID, deleted again at the end. Writes test actors into the ERP
    (there is no delete operation), so point it at a sandbox.
    """
    run = Run(_raw_client(client), dict(config_overrides))
    try:
        for step in _plan(run):
            result, error = _execute(step)
            if _lost(error) and _unreachable(run):
                yield CheckResult(
                    result.name, False, result.detail + " — the connector no longer answers; stopping"
                )
                return
            yield result
    finally:
        _clean_up(run)


def _lost(error: Exception | None) -> bool:
    """Could this error mean the connector is gone (rather than one bad reply)?"""
    return isinstance(error, ConnectorTransportError) and not isinstance(error, MalformedReply)
