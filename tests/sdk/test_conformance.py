"""The conformance checker: the demo ERP passes every check over real HTTP; a small in-memory
connector passes too, and each of its broken variants fails exactly the check for its breakage."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from erpsync.connectors.demo import DemoConnector
from erpsync.protocol import (
    OPERATIONS,
    ActorResult,
    ConnectorClient,
    ErpActor,
    ErrorCode,
    FieldAccess,
    FieldMetadata,
    FieldType,
    ListItem,
    PluginResponse,
    SearchRestriction,
)
from erpsync.protocol.timestamps import compare
from erpsync.protocol.transports import PluginTransport, Reply
from erpsync.sdk import ActorNotFound, ActorPage, ConfigStore, DeletedPage, ErpConnector, UnknownList
from erpsync.sdk.conformance import CheckResult, check_command, format_row, run_checks, summary_line
from erpsync.sdk.host import ConnectorHost
from erpsync.sdk.replies import refusal
from erpsync.sdk.search import OPERATORS, actor_matches, text_matches, validate_restrictions
from tests.helpers import run_asgi_server

SECRET = b"conformance-test-secret"
PASSWORD = "letmein"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


def _failed(rows: Sequence[CheckResult]) -> dict[str, str]:
    return {r.name: r.detail for r in rows if r.failed}


# -- a small in-memory ERP ------------------------------------------------------------------------

_T = FieldType
_FIELDS: dict[str, list[FieldMetadata]] = {
    "Customer": [
        FieldMetadata(field_key="NAME", field_type=_T.Text, access=FieldAccess.Mandatory, max_length=80),
        FieldMetadata(field_key="CITY", field_type=_T.Text, max_length=40),
        FieldMetadata(field_key="EMPLOYEES", field_type=_T.Integer),
        FieldMetadata(field_key="REVENUE", field_type=_T.Double),
        FieldMetadata(field_key="VIP", field_type=_T.Checkbox),
        FieldMetadata(field_key="FOUNDED", field_type=_T.Datetime),
        FieldMetadata(field_key="SEGMENT", field_type=_T.List, list_name="segments", default_value="smb"),
        FieldMetadata(field_key="CREATED", field_type=_T.Datetime, access=FieldAccess.ReadOnly),
    ],
    "Person": [
        FieldMetadata(field_key="LASTNAME", field_type=_T.Text, access=FieldAccess.Mandatory, max_length=50),
        FieldMetadata(field_key="FIRSTNAME", field_type=_T.Text, max_length=50),
        FieldMetadata(field_key="AGE", field_type=_T.Integer),
    ],
}
_SEARCHABLE = {
    "Customer": ["NAME", "CITY", "EMPLOYEES", "REVENUE", "VIP", "FOUNDED", "SEGMENT"],
    "Person": ["LASTNAME", "AGE"],
}
_SEGMENTS = [ListItem(key=k, display_value=k.upper()) for k in ("smb", "enterprise", "public")]


class MemoryErp(ErpConnector):
    """A complete, correct connector: LastModified is a global counter, one tick per write call."""

    name = "memory"
    max_page_size = 100

    def __init__(self, config_store: ConfigStore, data_dir: Path) -> None:
        super().__init__(config_store, data_dir)
        self.actors: dict[str, ErpActor] = {}
        self.clock = 0
        self.lock = threading.Lock()

    def tick(self) -> str:
        self.clock += 1
        return f"{self.clock:012d}"

    def out(self, actor: ErpActor) -> ErpActor:
        """What a read returns for a stored actor."""
        return actor

    # -- connections and discovery ----------------------------------------------------------------

    def get_config_data(self) -> list[FieldMetadata]:
        return [
            FieldMetadata(field_key="Server", default_value="memory"),
            FieldMetadata(field_key="Password", field_type=_T.Password, default_value=PASSWORD),
        ]

    def test_config_data(self, connection_info: dict[str, str]) -> PluginResponse:
        if connection_info.get("Password") != PASSWORD:
            return PluginResponse.error("Wrong password.", error_code=ErrorCode.ConfigInvalid)
        return PluginResponse.ok()

    def get_supported_actor_types(self, connection_guid: str) -> list[str]:
        self.connection_info(connection_guid)
        return list(_FIELDS)

    def get_supported_actor_type_fields(self, connection_guid: str, actor_type: str) -> list[FieldMetadata]:
        return _FIELDS[actor_type]

    def get_searchable_fields(self, connection_guid: str, actor_type: str) -> list[str]:
        return _SEARCHABLE[actor_type]

    def get_list(self, connection_guid: str, list_name: str) -> list[ListItem]:
        if list_name != "segments":
            raise UnknownList(f"No list {list_name!r}.")
        return _SEGMENTS

    # -- reading ----------------------------------------------------------------------------------

    def _of_type(self, actor_type: str) -> list[ErpActor]:
        return [self.out(a) for a in self.actors.values() if a.actor_type == actor_type]

    def get_actors(
        self, connection_guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str]
    ) -> list[ErpActor]:
        return [a for a in self._of_type(actor_type) if a.erp_key in erp_keys]

    def search_actors(
        self, connection_guid: str, actor_type: str, search_text: str, field_keys: Sequence[str]
    ) -> list[ErpActor]:
        return [
            a
            for a in self._of_type(actor_type)
            if text_matches(search_text, *(a.field_values.get(k, "") for k in ("NAME", "LASTNAME")))
        ]

    def search_actor_by_parent(
        self,
        connection_guid: str,
        actor_type: str,
        search_text: str,
        parent_actor_type: str,
        parent_erp_key: str,
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        found = self.search_actors(connection_guid, actor_type, search_text, field_keys)
        return [a for a in found if a.parent_erp_key == parent_erp_key]

    def search_actors_advanced(
        self,
        connection_guid: str,
        actor_type: str,
        restrictions: Sequence[SearchRestriction],
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        fields = {f.field_key: f for f in _FIELDS[actor_type]}
        validate_restrictions(fields, _SEARCHABLE[actor_type], restrictions)
        return [a for a in self._of_type(actor_type) if actor_matches(a, fields, restrictions)]

    def in_feed(self, last_modified: str, since: str) -> bool:
        return compare(last_modified, since) >= 0

    def page_token(self, last: ErpActor) -> str:
        return f"{last.last_modified}|{last.erp_key}"

    def after_token(self, actor: ErpActor, token: str) -> bool:
        stamp, key = token.split("|")
        return (actor.last_modified, int(actor.erp_key)) > (stamp, int(key))

    def get_actors_by_timestamp(
        self,
        connection_guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str],
        page_size: int = 0,
        page_token: str = "",
    ) -> ActorPage:
        changed = [a for a in self._of_type(actor_type) if self.in_feed(a.last_modified, updated_on_or_after)]
        changed.sort(key=lambda a: (a.last_modified, int(a.erp_key)))
        if page_token:
            changed = [a for a in changed if self.after_token(a, page_token)]
        if not page_size or len(changed) <= page_size:
            return ActorPage(changed)
        page = changed[:page_size]
        return ActorPage(page, self.page_token(page[-1]))

    def get_deleted_actors(
        self,
        connection_guid: str,
        actor_type: str,
        deleted_on_or_after: str,
        page_size: int = 0,
        page_token: str = "",
    ) -> DeletedPage:
        return DeletedPage()

    # -- writing ----------------------------------------------------------------------------------

    def _insert(self, actor: ErpActor, stamp: str) -> ErpActor:
        self.check_field_values(_FIELDS[actor.actor_type], actor, creating=True)
        key = str(len(self.actors) + 1)
        created = {"CREATED": "[DT:01/02/2026 03:04:05.0000000]"} if actor.actor_type == "Customer" else {}
        values = {**created, **actor.field_values}
        stored = actor.model_copy(update={"erp_key": key, "last_modified": stamp, "field_values": values})
        self.actors[key] = stored
        return stored

    def create_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        with self.lock:
            return self._insert(actor, self.tick())

    def create_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        with self.lock:
            stamp = self.tick()  # one write, one LastModified for the whole batch
            return [self._attempt(i, lambda a=a: self._insert(a, stamp)) for i, a in enumerate(actors)]

    def save_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        with self.lock:
            self.check_field_values(_FIELDS[actor.actor_type], actor, creating=False)
            stored = self.actors.get(actor.erp_key)
            if stored is None:
                raise ActorNotFound(f"No actor {actor.erp_key!r}.")
            values = {**stored.field_values, **actor.field_values}
            saved = stored.model_copy(update={"last_modified": self.tick(), "field_values": values})
            self.actors[actor.erp_key] = saved
            return saved


# -- broken variants: each breaks one rule ----------------------------------------------------------


class ExclusiveFeed(MemoryErp):
    """Returns actors changed strictly after the bound, not on or after it."""

    name = "exclusive-feed"

    def in_feed(self, last_modified: str, since: str) -> bool:
        return compare(last_modified, since) > 0


class BackwardsClock(MemoryErp):
    """Every write gets an older LastModified than the one before."""

    name = "backwards-clock"

    def tick(self) -> str:
        self.clock += 1
        return f"{10**9 - self.clock:012d}"


class DroppingPages(MemoryErp):
    """The page token keeps only the LastModified, so the next page skips the rest of that stamp."""

    name = "dropping-pages"

    def page_token(self, last: ErpActor) -> str:
        return last.last_modified

    def after_token(self, actor: ErpActor, token: str) -> bool:
        return actor.last_modified > token


class PlainNumbers(MemoryErp):
    """Returns integers as plain text (``42``) instead of ``[I:42]``."""

    name = "plain-numbers"

    def out(self, actor: ErpActor) -> ErpActor:
        value = actor.field_values.get("EMPLOYEES", "")
        if not value.startswith("[I:"):
            return actor
        return actor.model_copy(update={"field_values": {**actor.field_values, "EMPLOYEES": value[3:-1]}})


class NeverForgets(MemoryErp):
    """Answers for any GUID, saved or not: never says ConnectionInfoMissing."""

    name = "never-forgets"

    def connection_info(self, connection_guid: str) -> dict[str, str]:
        return {"Server": "memory", "Password": PASSWORD}


class IgnoresIntegerRestrictions(MemoryErp):
    """Advanced search drops every restriction on EMPLOYEES, so those searches find too much."""

    name = "ignores-integers"

    def search_actors_advanced(
        self,
        connection_guid: str,
        actor_type: str,
        restrictions: Sequence[SearchRestriction],
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        kept = [r for r in restrictions if r.field_key != "EMPLOYEES"]
        return super().search_actors_advanced(connection_guid, actor_type, kept, field_keys)


class CrashingLists(MemoryErp):
    """A bug in GetList: the check fails with the error's text, the rest of the run goes on."""

    name = "crashing-lists"

    def get_list(self, connection_guid: str, list_name: str) -> list[ListItem]:
        raise RuntimeError("list table is missing")


_VARIANTS: list[type[MemoryErp]] = [
    MemoryErp,
    ExclusiveFeed,
    BackwardsClock,
    DroppingPages,
    PlainNumbers,
    NeverForgets,
    IgnoresIntegerRestrictions,
    CrashingLists,
]


@pytest.fixture(scope="module")
def memory_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectorHost]:
    host = ConnectorHost(
        tmp_path_factory.mktemp("memory"), _VARIANTS, secrets=[SECRET], encryption_key=Fernet.generate_key()
    )
    host.install_plugins()
    yield host
    host.uninstall_plugins()


def _check(name: str, overrides: Mapping[str, str] | None = None) -> list[CheckResult]:
    with ConnectorClient(f"plugin://{name}") as client:
        return list(run_checks(client, overrides or {}))


# -- the demo ERP over HTTP -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_rows(tmp_path_factory: pytest.TempPathFactory) -> list[CheckResult]:
    data = tmp_path_factory.mktemp("demo")
    host = ConnectorHost(data, [DemoConnector], secrets=[SECRET], encryption_key=Fernet.generate_key())
    with (
        run_asgi_server(host.app) as base,
        ConnectorClient(f"{base}/connectors/demo", secret=SECRET) as client,
    ):
        return list(run_checks(client))


def test_demo_passes_every_check_over_http(demo_rows: list[CheckResult]) -> None:
    assert _failed(demo_rows) == {}
    assert [r.name for r in demo_rows if r.skipped] == []
    assert summary_line(demo_rows) == f"{len(demo_rows)} passed, 0 failed"


def test_demo_run_covers_every_operation_and_search_operator(demo_rows: list[CheckResult]) -> None:
    names = [r.name for r in demo_rows]
    missing_ops = [op for op in OPERATIONS if not any(n.split("[")[0].split(".")[0] == op for n in names)]
    assert missing_ops == []
    advanced = [n for n in names if n.startswith("SearchActorsAdvanced[")]
    used = {n.rsplit(" ", 1)[1].rstrip("]") for n in advanced}
    assert used == set().union(*OPERATORS.values())
    for key in (
        "GetCapabilities",
        "TestConfigData.wrong-password",
        "ConnectionInfoMissing.unknown-guid",
        "GetActors.read-back[Person]",
        "CreateActor.mandatory-missing[Customer]",
        "SaveActors.bad-encoding[Customer]",
        "LastModified.monotonic[Customer]",
        "GetActorsByTimestamp.inclusive[Customer]",
        "GetActorsByTimestamp.boundary[Customer]",
        "GetActorsByTimestamp.equal-timestamp-pages[Customer]",
        "SaveActors.per-actor-results[Customer]",
        "SearchActorByParent[Person]",
        "SearchActorsAdvanced[Person.ParentErpKey =]",
        "SearchActorsAdvanced[Person.ParentActorType =]",
        "encodings[Person]",
        "GetActorsByTimestamp.error-unknown-type",
        "GetActorsByTimestamp.error-unsupported-type",
        "DeleteConnection.forgotten",
    ):
        assert key in names


def test_demo_batch_shares_one_last_modified(demo_rows: list[CheckResult]) -> None:
    row = next(r for r in demo_rows if r.name == "CreateActors[Customer]")
    assert "they share LastModified" in row.detail


# -- the in-memory ERP and its broken variants -------------------------------------------------------


def test_memory_connector_passes_every_check(memory_host: ConnectorHost) -> None:
    rows = _check("memory")
    assert _failed(rows) == {}
    assert [r.name for r in rows if r.skipped] == []


def test_the_connection_is_deleted_even_when_the_run_is_abandoned(memory_host: ConnectorHost) -> None:
    connections = memory_host.data_dir / "connectors" / "memory" / "connections"
    with ConnectorClient("plugin://memory") as client:
        rows = run_checks(client)
        assert isinstance(rows, Generator)
        names = [next(rows).name for _ in range(6)]
        assert "SaveConnection" in names
        assert list(connections.glob("*.json"))
        rows.close()
    assert list(connections.glob("*.json")) == []


def test_exclusive_feed_fails_the_inclusive_checks(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("exclusive-feed"))
    assert "GetActorsByTimestamp.inclusive[Customer]" in failed
    assert "exclusive" in failed["GetActorsByTimestamp.inclusive[Customer]"]
    assert "GetActorsByTimestamp.boundary[Customer]" in failed
    assert all(".inclusive[" in n or ".boundary[" in n or "equal-timestamp-pages" in n for n in failed)


def test_backwards_last_modified_fails_the_timestamp_checks(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("backwards-clock"))
    assert "went backwards" in failed["LastModified.monotonic[Customer]"]
    assert "not newer" in failed["SaveActors[Customer]"]


def test_paged_feed_losing_equal_timestamps_fails_the_paging_check(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("dropping-pages"))
    assert set(failed) == {
        "GetActorsByTimestamp.equal-timestamp-pages[Customer]",
        "GetActorsByTimestamp.equal-timestamp-pages[Person]",
    }
    assert "lost between pages" in failed["GetActorsByTimestamp.equal-timestamp-pages[Customer]"]


def test_wrong_encodings_fail_the_encodings_check(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("plain-numbers"))
    assert "is not a Integer value" in failed["encodings[Customer]"]
    assert "EMPLOYEES" in failed["GetActors.read-back[Customer]"]
    assert "encodings[Person]" not in failed


def test_a_connector_that_never_forgets_fails_the_connection_info_checks(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("never-forgets"))
    assert set(failed) == {"ConnectionInfoMissing.unknown-guid", "DeleteConnection.forgotten"}


def test_a_search_ignoring_one_field_fails_one_row_per_operator(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("ignores-integers"))
    assert set(failed) == {f"SearchActorsAdvanced[Customer.EMPLOYEES {op}]" for op in OPERATORS[_T.Integer]}
    assert "should not find it" in failed["SearchActorsAdvanced[Customer.EMPLOYEES =]"]


def test_an_error_in_one_check_is_a_failed_row_and_the_run_goes_on(memory_host: ConnectorHost) -> None:
    rows = _check("crashing-lists")
    failed = _failed(rows)
    assert failed.keys() == {"GetList[segments]"}
    assert failed["GetList[segments]"].startswith("ConnectorReplyError: ")
    skipped = {r.name for r in rows if r.skipped}
    assert skipped == {"GetListItems[segments]"}
    assert rows[-1].name == "DeleteConnection.forgotten"


def test_config_overrides_reach_the_connector(memory_host: ConnectorHost) -> None:
    failed = _failed(_check("memory", {"Password": "not-it"}))
    assert "TestConfigData" in failed
    assert "Wrong password" in failed["TestConfigData"]


class _WithoutCapabilities:
    """A SuperOffice-style connector: GetCapabilities is not an operation it knows."""

    def __init__(self, name: str) -> None:
        self._inner = PluginTransport(name)

    def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        if operation == "GetCapabilities":
            return 404, refusal(ErrorCode.UnknownOperation, "No such operation.")
        return self._inner.handle(operation, path, body, headers)

    def close(self) -> None:
        pass


def test_without_get_capabilities_the_extension_checks_are_skipped(memory_host: ConnectorHost) -> None:
    with ConnectorClient("plugin://memory", transport=_WithoutCapabilities("memory")) as client:
        rows = list(run_checks(client))
    assert _failed(rows) == {}
    assert "plain SuperOffice-style" in rows[0].detail
    skipped = {r.name.split("[")[0] for r in rows if r.skipped}
    assert skipped == {
        "CreateActors",
        "GetActorsByTimestamp.equal-timestamp-pages",
        "SaveActors.per-actor-results",
        "GetDeletedActors",
    }


def test_an_unreachable_connector_stops_the_run_after_one_row() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with ConnectorClient(f"http://127.0.0.1:{port}/connectors/x", timeout=2) as client:
        rows = list(run_checks(client))
    assert len(rows) == 1
    assert rows[0].failed
    assert rows[0].detail.startswith("ConnectorUnavailable")
    assert rows[0].detail.endswith("stopping")


# -- rows and the command ---------------------------------------------------------------------------


def test_rows_and_summary_line() -> None:
    rows = [
        CheckResult("A", True, "fine"),
        CheckResult("B", False, "broken"),
        CheckResult("C", True, "no Password field", skipped=True),
        CheckResult("D", True, "ok"),
    ]
    assert summary_line(rows) == "2 passed, 1 failed"
    assert format_row(rows[0]) == "PASS  A — fine"
    assert format_row(rows[1]) == "FAIL  B — broken"
    assert format_row(rows[2]) == "SKIP  C — skipped: no Password field"
    assert not rows[2].failed


def test_check_command_passes_over_http_with_a_secret(memory_host: ConnectorHost) -> None:
    printed: list[str] = []
    with run_asgi_server(memory_host.app) as base:
        code = check_command(f"{base}/connectors/memory", ["Server=memory"], SECRET, printed.append)
    assert code == 0
    summary = SUMMARY.match(printed[-1])
    assert summary is not None
    assert summary.group(2) == "0"
    assert int(summary.group(1)) == len(printed) - 1
    assert printed[0].startswith("PASS  GetCapabilities")


def test_check_command_exits_1_when_a_check_fails(memory_host: ConnectorHost) -> None:
    printed: list[str] = []
    code = check_command("plugin://memory", ["Password=wrong=ish"], None, printed.append)
    assert code == 1
    summary = SUMMARY.match(printed[-1])
    assert summary is not None
    assert int(summary.group(2)) >= 1
    assert any(line.startswith("FAIL  TestConfigData — ") for line in printed)


@pytest.mark.parametrize("pair", ["Password", "=value", " =x"])
def test_check_command_refuses_a_malformed_config_pair(pair: str) -> None:
    printed: list[str] = []
    assert check_command("plugin://memory", ["Server=memory", pair], None, printed.append) == 2
    assert printed == [f"error: --config expects KEY=VALUE, got {pair!r}"]


def test_check_command_refuses_a_bad_url() -> None:
    printed: list[str] = []
    assert check_command("ftp://erp.example", [], None, printed.append) == 2
    assert printed[0].startswith("error: ")
