"""A running erpsync (API + pages, SQLite) and the demo connector over HTTP, driven by Debian's
Chromium through Playwright.

Every test gets its own server and database (``web``), a fresh browser context (``page``), and
the logins ``admin`` / ``kari`` (a user, not an administrator). ``web.db()`` opens a session on the
server's database for asserting what landed there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from sqlalchemy.orm import Session

from erpsync.api import create_app
from erpsync.crm import users
from erpsync.crm.seed import ensure_standard_lists
from erpsync.database import prepare_database
from erpsync.hub.service import Hub
from erpsync.settings import Settings
from tests.helpers import run_asgi_server
from tests.hub.fixtures_admin import CONNECTOR_SECRET, DemoErp, demo_erp

CHROMIUM = os.environ.get("ERPSYNC_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ADMIN_PASSWORD = "admin-Pa55word"
USER_PASSWORD = "kari-Pa55word"


@dataclass
class WebWorld:
    """The running server: its address, its hub (sharing the server's database) and the demo ERP."""

    url: str
    hub: Hub
    erp: DemoErp
    admin_id: int
    user_id: int

    def db(self) -> Session:
        """A session on the server's database (use as a context manager)."""
        return self.hub.sessions()


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing: None) -> None:
    pass


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with every migration applied, made once and copied for each test."""
    path = tmp_path_factory.mktemp("web-template") / "erpsync.sqlite"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def web(tmp_path: Path, migrated_database: Path) -> Iterator[WebWorld]:
    shutil.copyfile(migrated_database, tmp_path / "erpsync.sqlite")
    database_url = f"sqlite:///{tmp_path / 'erpsync.sqlite'}"
    settings = Settings(
        database_url=database_url, data_dir=tmp_path / "data", connector_secret=CONNECTOR_SECRET
    )
    app = create_app(settings)
    hub: Hub = app.state.hub
    with hub.session() as session:
        ensure_standard_lists(session)
        admin = users.create_user(session, "admin", ADMIN_PASSWORD, "Ada Admin", is_admin=True)
        kari = users.create_user(session, "kari", USER_PASSWORD, "Kari Nordmann", is_admin=False)
    with demo_erp(tmp_path / "erp-host") as erp, run_asgi_server(app) as url:
        try:
            yield WebWorld(url, hub, erp, admin.id, kari.id)
        finally:
            hub.close()
            app.state.engine.dispose()


# Package scope: Playwright's driver runs an event loop in this thread until it stops, and an
# async test after the browser tests would find it running.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make test` (it installs Debian's chromium)."
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, web: WebWorld) -> Iterator[Page]:
    context = browser.new_context(base_url=web.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in(page: Page, username: str = "admin", password: str = ADMIN_PASSWORD, next_path: str = "/") -> None:
    """Log in through the login form and wait for the page it leads to."""
    page.goto(f"/login?next={next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()
    page.wait_for_load_state()  # the page's script (deferred) has run: its handlers are in place


def log_in_user(page: Page, next_path: str = "/") -> None:
    log_in(page, "kari", USER_PASSWORD, next_path)


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the current page for the README (``docs/screenshots/<name>.png``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


@contextmanager
def narrow(page: Page) -> Iterator[None]:
    """The page on a phone-sized screen for the duration."""
    page.set_viewport_size({"width": 390, "height": 800})
    try:
        yield
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
