"""Logging in and out in the browser; what a page shows without a session."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from erpsync.crm.models import ApiToken
from tests.web.conftest import ADMIN_PASSWORD, WebWorld, log_in, log_in_user, narrow


def test_a_page_without_a_session_leads_to_the_login_and_back(page: Page, web: WebWorld) -> None:
    page.goto("/settings/sync?tab=log")
    expect(page).to_have_url(f"{web.url}/login?next=%2Fsettings%2Fsync%3Ftab%3Dlog")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page).to_have_url(f"{web.url}/settings/sync?tab=log")
    expect(page.get_by_test_id("user-name")).to_have_text("Ada Admin")


def test_a_wrong_password_is_refused_with_a_message_and_no_session(page: Page, web: WebWorld) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")
    expect(page.get_by_label("User name")).to_have_value("admin")
    with web.db() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert not [c for c in page.context.cookies() if c["name"] == "erpsync_session"]


def test_logging_out_revokes_the_session(page: Page, web: WebWorld) -> None:
    log_in(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "erpsync_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{web.url}/login")
    with web.db() as session:
        assert session.scalar(select(ApiToken.revoked_at)) is not None
    # The old cookie is dead even if somebody kept it.
    reply = httpx.get(f"{web.url}/", cookies={"erpsync_session": cookie["value"]}, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/login")


def test_the_api_takes_the_cookie_only_with_the_csrf_header(page: Page, web: WebWorld) -> None:
    log_in(page)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "erpsync_session")
    url = f"{web.url}/api/v1/auth/me"
    assert httpx.get(url, cookies={"erpsync_session": token}).status_code == 401
    assert (
        httpx.get(url, cookies={"erpsync_session": token}, headers={"X-CSRF-Token": "x" * 40}).status_code
        == 401
    )
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert csrf
    reply = httpx.get(url, cookies={"erpsync_session": token}, headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 200
    assert reply.json()["username"] == "admin"


def test_settings_are_for_administrators_only(page: Page, web: WebWorld) -> None:
    log_in_user(page)
    navigator = page.get_by_role("navigation", name="Navigator")
    expect(navigator.get_by_role("link", name="Companies")).to_be_visible()
    expect(navigator.get_by_role("link", name="Sync")).to_have_count(0)
    page.goto("/settings/sync")
    expect(page.get_by_role("heading", level=1)).to_have_text("Only an administrator may open this page.")


def test_the_login_rejects_a_next_address_on_another_site(page: Page, web: WebWorld) -> None:
    log_in(page, next_path="//evil.example/")
    assert page.url.startswith(web.url)


def test_the_navigator_fits_a_narrow_screen(page: Page, web: WebWorld) -> None:
    log_in(page)
    with narrow(page):
        navigator = page.get_by_role("navigation", name="Navigator")
        expect(navigator.get_by_role("link", name="Sync")).to_be_in_viewport()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
