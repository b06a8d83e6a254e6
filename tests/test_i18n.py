"""Languages: choosing one, the catalogues, formats, and connectors' packed explanations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from erpsync import i18n


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7", "da"),
        ("en-GB,en;q=0.9,da;q=0.8", "en"),
        ("de-DE,de;q=0.9,da;q=0.5", "da"),  # the best one we speak
        ("da;q=0.2, en;q=0.8", "en"),  # the order of the header does not outrank the weights
        ("fr", "en"),
        ("", "en"),
        ("da;q=0", "en"),  # q=0 means "not this one"
        ("da;q=banana", "en"),
    ],
)
def test_the_browsers_language_is_negotiated(header: str, language: str) -> None:
    assert i18n.negotiate(header) == language


def test_use_language_sets_and_restores_the_language() -> None:
    assert i18n.current_language() == "en"
    with i18n.use_language("da-DK") as chosen:
        assert chosen == "da"
        assert i18n.current_language() == "da"
        with i18n.use_language("xx"):
            assert i18n.current_language() == "en"
        assert i18n.current_language() == "da"
    assert i18n.current_language() == "en"


@pytest.mark.parametrize(
    ("text", "language", "shown"),
    [
        ('US:"Wrong password"NO:"Feil passord"DK:"Forkert adgangskode"', "da", "Forkert adgangskode"),
        ('US:"Wrong password"NO:"Feil passord"DK:"Forkert adgangskode"', "en", "Wrong password"),
        ('US:"Wrong password" GE:"Falsches Passwort"', "da", "Wrong password"),  # no Danish: English
        ('GE:"Falsches Passwort"', "da", 'GE:"Falsches Passwort"'),  # neither: the raw text
        ("Wrong password", "da", "Wrong password"),  # not packed
        ('The field "NAME" is too long', "da", 'The field "NAME" is too long'),  # quotes, not packed
        ('US:"Say ""hi"""DK:"Sig ""hej"""', "da", 'Sig "hej"'),  # a doubled quote is a quote
        ('US:"unterminated', "da", 'US:"unterminated'),
        ("", "da", ""),
    ],
)
def test_a_packed_explanation_shows_the_users_language(text: str, language: str, shown: str) -> None:
    assert i18n.pick_explanation(text, language) == shown


def test_the_current_language_picks_the_explanation_when_none_is_named() -> None:
    with i18n.use_language("da"):
        assert i18n.pick_explanation('US:"Hello"DK:"Hej"') == "Hej"


def test_numbers_and_dates_are_written_as_the_language_writes_them() -> None:
    assert i18n.format_number(1234567.5, "da") == "1.234.567,5"
    assert i18n.format_number(1234567.5, "en") == "1,234,567.5"
    assert i18n.format_number(7.4567, "da") == "7,4567"  # not rounded
    assert i18n.format_date(date(2026, 11, 26), "da") == "26. nov. 2026"
    assert i18n.format_date(date(2026, 11, 26), "en") == "Nov 26, 2026"
    moment = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)
    assert i18n.format_datetime(moment, "da") == "26.11.2026 14.05"
    assert i18n.format_number(None) == i18n.format_date(None) == i18n.format_datetime(None) == ""


def test_catalogues_of_several_parts_form_one_and_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "da" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    (folder / "web.po").write_text(header + 'msgid "Save"\nmsgstr "Gem"\n', encoding="utf-8")
    (folder / "messages.po").write_text(header + 'msgid "Delete"\nmsgstr "Slet"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with i18n.use_language("da"):
            assert (i18n.gettext("Save"), i18n.gettext("Delete"), i18n.gettext("Other")) == (
                "Gem",
                "Slet",
                "Other",
            )
        written = i18n.compile_catalogues(tmp_path)
        assert sorted(p.name for p in written) == ["messages.mo", "web.mo"]
        with i18n.use_language("da"):
            assert i18n.gettext("Save") == "Gem"  # now from the compiled file
        with i18n.use_language("en"):
            assert i18n.gettext("Save") == "Save"
    finally:
        i18n.catalogue.cache_clear()


def test_a_packed_text_is_picked_back_in_each_language() -> None:
    texts = {"da": 'Sig "hej" til Åse', "en": 'Say "hi" to Åse'}
    packed = i18n.pack_explanation(texts)
    assert packed.startswith('US:"')  # English first: a reader of a missing language gets it
    assert {language: i18n.pick_explanation(packed, language) for language in texts} == texts
    assert i18n.pick_explanation(packed, "sv") == texts["en"]
    assert i18n.pack_explanation({"en": "OK", "da": "OK"}) == "OK"
