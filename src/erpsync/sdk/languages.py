"""Texts for people in every language, packed as SuperOffice packs them: ``US:"…"DK:"…"``.

A connector does not know who will read what it says: the hub shows a ``UserExplanation`` (and the
names of the config fields) to whoever made the call, in that person's language when the text has
it, in English otherwise. So a connector says everything in every language it can, packed::

    from erpsync.sdk.languages import explain as _

    raise ConfigInvalid(_("Wrong user name or password."))

:func:`explain` makes the message in every language erpsync has a catalogue for (the bundled
connectors' Danish is in ``locale/da/LC_MESSAGES/connectors.po``); imported as ``_`` it also marks
the message for the catalogue. :func:`pack_languages` packs texts a connector translated itself.
``TechExplanation`` stays English: it is for developers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from erpsync.i18n import LANGUAGES, catalogue, pack_explanation, pick_explanation

__all__ = ["explain", "joined", "pack_languages"]


def pack_languages(texts: Mapping[str, str]) -> str:
    """``{"en": "Wrong password", "da": "Forkert adgangskode"}`` → ``US:"Wrong password"DK:"Forkert
    adgangskode"``: :func:`erpsync.i18n.pack_explanation`, the packing the hub reads back."""
    return pack_explanation(dict(texts))


def explain(message: str, /, **params: object) -> str:
    """``message`` in every language erpsync speaks, ``%(name)s`` placeholders filled from ``params``
    after translation, packed. A value that is itself a packed text is put in in each language."""
    texts = {}
    for language in LANGUAGES:
        translated = catalogue(language).gettext(message)
        values = {key: _in(value, language) for key, value in params.items()}
        texts[language] = translated % values if params else translated
    return pack_languages(texts)


def _in(value: object, language: str) -> object:
    return pick_explanation(value, language) if isinstance(value, str) else value


def joined(separator: str, texts: Iterable[str]) -> str:
    """Texts (each packed or not) joined, in every language: ``Database, User name`` packed."""
    parts = list(texts)
    return pack_languages(
        {
            language: separator.join(pick_explanation(text, language) for text in parts)
            for language in LANGUAGES
        }
    )
