"""Languages: English (the source) and Danish, through gettext catalogues.

The language of the work at hand lives in a context variable: a request sets it (the user's own
setting, else the browser's ``Accept-Language``), and every text made while it runs — pages,
validation messages, replies — is translated into it by :func:`gettext`. Code that runs outside a
request (the CLI, the engine) gets English unless it sets a language itself.

Catalogues: ``locale/<language>/LC_MESSAGES/<part>.po``, one file per part of the product so that
parts can be translated independently; all parts of a language form one catalogue. ``make`` compiles
them to ``.mo`` at install time; a ``.po`` newer than its ``.mo`` (or without one) is read directly,
so that an edited translation shows without a rebuild.
"""

from __future__ import annotations

import gettext as gettext_module
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_DIR",
    "catalogue",
    "compile_catalogues",
    "current_language",
    "format_date",
    "format_datetime",
    "format_number",
    "gettext",
    "lazy_gettext",
    "negotiate",
    "ngettext",
    "pack_explanation",
    "pick_explanation",
    "supported_language",
    "use_language",
]

#: The languages erpsync speaks, by code, each named in itself.
LANGUAGES: dict[str, str] = {"en": "English", "da": "Dansk"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("erpsync_language", default=DEFAULT_LANGUAGE)


def supported_language(code: str | None) -> str | None:
    """The supported language a code means (``da-DK`` → ``da``), or ``None``."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The best supported language of an ``Accept-Language`` header; English when none fits."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q=([^;\s]*)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0  # a weight nobody can read: not a choice
        language = supported_language(tag)
        if language is not None and quality > 0:
            choices.append((-quality, index, language))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE


def current_language() -> str:
    return _current.get()


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Translate into ``language`` (a supported one, else English) for the duration."""
    chosen = supported_language(language) or DEFAULT_LANGUAGE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


# --- catalogues ------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def catalogue(language: str) -> gettext_module.NullTranslations:
    """Every part's translations of ``language`` as one catalogue (English: none needed)."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    if language == DEFAULT_LANGUAGE or not folder.is_dir():
        return gettext_module.NullTranslations()
    parts = [_part(po) for po in sorted(folder.glob("*.po"))]
    if not parts:
        return gettext_module.NullTranslations()
    first = parts[0]
    for other in parts[1:]:
        first.add_fallback(other)
    return first


def _part(po: Path) -> gettext_module.NullTranslations:
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext_module.GNUTranslations(handle)
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        messages = read_po(handle)
    buffer = BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def compile_catalogues(root: Path = LOCALE_DIR) -> list[Path]:
    """Compile every ``.po`` below ``root`` to its ``.mo`` (what ``make`` runs at install time)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            messages = read_po(handle)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, messages)
        written.append(po.with_suffix(".mo"))
    catalogue.cache_clear()
    return written


def gettext(message: str) -> str:
    """``message`` in the current language (itself when it has no translation)."""
    return catalogue(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return catalogue(current_language()).ngettext(singular, plural, count)


def lazy_gettext(message: str) -> str:
    """Marks a text for the catalogue where it is defined (a constant); translate it with
    :func:`gettext` where it is used."""
    return message


# --- formats ---------------------------------------------------------------------------------------


def format_datetime(value: datetime | None, language: str | None = None) -> str:
    """A date and time as people of the language write it (UTC, as stored)."""
    if value is None:
        return ""
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(value, "short", tzinfo=value.tzinfo, locale=language or current_language())


def format_date(value: date | None, language: str | None = None) -> str:
    if value is None:
        return ""
    from babel.dates import format_date as babel_date

    return babel_date(value, "medium", locale=language or current_language())


def format_number(value: int | float | Decimal | None, language: str | None = None) -> str:
    """A number with the language's decimal and group separators."""
    if value is None:
        return ""
    from babel.numbers import format_decimal

    # Every decimal the value has: a stored amount is shown, not rounded to three places.
    return format_decimal(value, locale=language or current_language(), decimal_quantization=False)


# --- connector explanations ------------------------------------------------------------------------

# The reference's packing of one text in several languages: US:"…"NO:"…"GE:"…" (a quote inside a
# text is doubled). The codes are SuperOffice's, not ISO's.
_PACKED = re.compile(r'\s*([A-Z]{2})\s*:\s*"((?:[^"]|"")*)"\s*')
_PACK_CODES: dict[str, tuple[str, ...]] = {
    "en": ("US", "EN", "GB", "UK"),
    "da": ("DK", "DA"),
    # The reference's other languages, ready for their catalogues.
    "nb": ("NO", "NB"),
    "sv": ("SE", "SV"),
    "de": ("GE", "DE"),
    "nl": ("NL",),
}


def pick_explanation(text: str, language: str | None = None) -> str:
    """The part of a connector's packed ``UserExplanation`` in the language, English when that
    language is not there, the raw text when it is not packed at all."""
    if not text or '"' not in text:
        return text
    parts: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PACKED.match(text, position)
        if match is None:
            return text  # not (wholly) packed: show it as it came
        parts.setdefault(match.group(1), match.group(2).replace('""', '"'))
        position = match.end()
    wanted = supported_language(language) or current_language()
    for code in (*_PACK_CODES.get(wanted, ()), *_PACK_CODES[DEFAULT_LANGUAGE]):
        if code in parts:
            return parts[code]
    return text


def pack_explanation(texts: dict[str, str]) -> str:
    """The inverse of :func:`pick_explanation`: ``{"en": "Wrong password", "da": "Forkert
    adgangskode"}`` → ``US:"Wrong password"DK:"Forkert adgangskode"`` (a quote inside a text
    doubled, English first so that a reader of a missing language gets it). A text that reads alike
    in every language stays unpacked."""
    ordered = sorted(texts.items(), key=lambda item: item[0] != DEFAULT_LANGUAGE)
    if len({text for _, text in ordered}) <= 1:
        return ordered[0][1] if ordered else ""
    return "".join(
        f'{(_PACK_CODES.get(language) or (language.upper(),))[0]}:"{text.replace(chr(34), chr(34) * 2)}"'
        for language, text in ordered
    )


if __name__ == "__main__":  # ``python -m erpsync.i18n``: what ``make`` runs at install time
    for written in compile_catalogues():
        print(f"compiled {written.relative_to(LOCALE_DIR)}")
