"""The page language: the browser's by default, the user's once chosen, switchable on every page."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from erpsync.crm import users
from tests.web.conftest import WebWorld, log_in


def test_the_browsers_language_is_the_default_and_the_switch_saves_the_users_choice(
    browser: Browser, web: WebWorld
) -> None:
    context = browser.new_context(base_url=web.url, locale="da-DK")
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "da")
        expect(page.get_by_label("Sprog")).to_have_value("da")  # the switch speaks Danish too
    finally:
        context.close()


def test_switching_the_language_keeps_the_page_and_the_users_setting(page: Page, web: WebWorld) -> None:
    log_in(page, next_path="/settings/sync")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option("da")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert page.url == f"{web.url}/settings/sync"
    with web.db() as session:
        user = users.get_user(session, web.admin_id)
        assert user is not None
        assert user.language == "da"
    # The choice outlives the session: logging in again from another browser brings it back.
    page.context.clear_cookies()
    log_in(page)
    expect(page.locator("html")).to_have_attribute("lang", "da")


def test_an_unknown_language_changes_nothing(page: Page, web: WebWorld) -> None:
    log_in(page)
    page.evaluate(
        """() => { const s = document.querySelector('.language-switch select');
                   s.add(new Option('Klingon', 'tlh')); s.value = 'tlh'; s.form.submit(); }"""
    )
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with web.db() as session:
        user = users.get_user(session, web.admin_id)
        assert user is not None
        assert user.language == ""
