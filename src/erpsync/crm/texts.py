"""Texts for people, made in the current language, that can be said again in any other.

``_("There is no user with id %(id)s.", id=7)`` is the message translated into the language of the
work at hand (a request's: the user's setting or the browser's) with its values put in *after*
translation. The result is a :class:`Text`: a plain ``str`` to everyone who reads it, which also
remembers its message and values, so that code storing it for later readers (the sync log, dead
letters, cycle notes) can keep it in every language (:func:`in_every_language`) and the reader then
sees their own (:func:`shown`).

Stored texts are packed the way connectors pack their ``UserExplanation`` (``US:"…"DK:"…"``), so
one rule shows both: the reader's language when it is there, English otherwise, the raw text last.
A value that is itself a packed text (a connector's explanation) is picked per language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from erpsync.i18n import (
    LANGUAGES,
    catalogue,
    current_language,
    lazy_gettext,
    pack_explanation,
    pick_explanation,
)

__all__ = [
    "Text",
    "_",
    "every_language",
    "in_every_language",
    "is_message",
    "joined",
    "ngettext",
    "noun",
    "shown",
]


class Text(str):
    """A message for people in the current language that can be made again in another."""

    message: str
    plural: str
    number: int | None
    params: Mapping[str, object]

    def __new__(
        cls, msgid: str, params: Mapping[str, object], plural: str = "", count: int | None = None
    ) -> Text:
        made = super().__new__(cls, _render(msgid, plural, count, params, current_language()))
        made.message, made.plural, made.number, made.params = msgid, plural, count, dict(params)
        return made

    def in_language(self, language: str) -> str:
        return _render(self.message, self.plural, self.number, self.params, language)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a workflow's output) it is the text it reads as.
        return (str, (str(self),))


def _(message: str, /, **params: object) -> Text:
    """``message`` in the current language, ``%(name)s`` placeholders filled from ``params``."""
    return Text(message, params)


def ngettext(singular: str, plural: str, count: int, /, **params: object) -> Text:
    """The singular or plural of a message by ``count`` (also available as ``%(count)s``)."""
    return Text(singular, {"count": count, **params}, plural, count)


def joined(separator: str, parts: Iterable[str]) -> Text:
    """``separator.join(parts)`` that stays a :class:`Text`: each part is made again in another
    language when the whole is."""
    values = {f"part{index}": part for index, part in enumerate(parts)}
    pattern = separator.replace("%", "%%").join(f"%({name})s" for name in values)
    return Text(pattern, values)


def _render(msgid: str, plural: str, count: int | None, params: Mapping[str, object], language: str) -> str:
    translations = catalogue(language)
    if plural and count is not None:
        text = translations.ngettext(msgid, plural, count)
    else:
        text = translations.gettext(msgid)
    if not params:
        return text
    return text % {key: _value(value, language) for key, value in params.items()}


def _value(value: object, language: str) -> object:
    if isinstance(value, Text):
        return value.in_language(language)
    if isinstance(value, str):
        return pick_explanation(value, language)
    return value


def is_message(text: str, message: str) -> bool:
    """Was ``text`` made from ``message``, in whichever language?"""
    return text.message == message if isinstance(text, Text) else text == message


def every_language(message: str) -> Callable[..., str]:
    """A maker of ``message`` packed in every language, for many texts of one message (a page of
    an import): each translation is looked up once. Its values are put in as they are."""
    templates = {language: catalogue(language).gettext(message) for language in LANGUAGES}

    def make(**params: object) -> str:
        return _packed({language: template % params for language, template in templates.items()})

    return make


def _packed(versions: Mapping[str, str]) -> str:
    return pack_explanation(dict(versions))


def in_every_language(text: str) -> str:
    """What to store of a text for readers of any language: a :class:`Text` packed in every
    language (once, when they read alike); any other text as it is."""
    if not isinstance(text, Text):
        return text
    return _packed({language: text.in_language(language) for language in LANGUAGES})


def shown(text: str, language: str | None = None) -> str:
    """A stored or connector-given text in the reader's language (default: the current one)."""
    return pick_explanation(text, language)


_NOUNS = {
    "company": lazy_gettext("company"),
    "person": lazy_gettext("person"),
    "project": lazy_gettext("project"),
    "user": lazy_gettext("user"),
    "group": lazy_gettext("group"),
    "list item": lazy_gettext("list item"),
}


def noun(kind: str) -> str:
    """The name of a kind of record (``company``, ``person`` …) in the current language."""
    return _(_NOUNS[kind]) if kind in _NOUNS else kind
