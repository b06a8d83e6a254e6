from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import TrytonServer, TrytonUnavailableForTests, serve


@pytest.fixture(scope="session")
def tryton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    """One trytond for the whole session (its database copied from the cached template)."""
    try:
        with serve(tmp_path_factory.mktemp("tryton")) as server:
            yield server
    except TrytonUnavailableForTests as exc:
        pytest.fail(str(exc), pytrace=False)
