"""Every text a person reads is marked for translation and has its Danish translation.

Templates: text between tags and the readable attributes (title, placeholder, aria-label, alt,
data-confirm, data-success, data-text-*) must come from ``{% trans %}`` or ``_()``; a raw English
word in a template fails here with its file and line. Every message marked in the templates and in
the Python code must have a Danish translation in ``locale/da/LC_MESSAGES/*.po``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import erpsync

PACKAGE = Path(erpsync.__file__).parent
TEMPLATES = PACKAGE / "web" / "templates"
DANISH = PACKAGE / "locale" / "da" / "LC_MESSAGES"
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "_": None, "lazy_gettext": None}
READABLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm", "data-success"}
# Names, not words: the product, and the two systems ERP Sync joins, read alike in every language.
NOT_WORDS = {"erpsync", "ERP", "CRM"}

_TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?%}.*?{%-?\s*endtrans\s*-?%}", re.DOTALL)
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
_MARK = "\x00"


class _Readable(HTMLParser):
    """Collects (line, text) of what a person reads in one template, Jinja already blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        named = dict(attrs)
        for name, value in attrs:
            readable = name in READABLE_ATTRIBUTES or name.startswith("data-text")
            button_value = name == "value" and tag == "input" and named.get("type") in ("submit", "button")
            if value and (readable or button_value):
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append((self.getpos()[0], data))


def _blank_jinja(source: str) -> str:
    """Jinja constructs become a marker (keeping their line breaks, so lines still count)."""

    def blank(match: re.Match[str]) -> str:
        return _MARK + "\n" * match.group(0).count("\n")

    return _JINJA.sub(blank, _TRANS_BLOCK.sub(blank, source))


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]+", text.replace(_MARK, " ")) if w not in NOT_WORDS]


def untranslated_template_texts() -> list[str]:
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        parser = _Readable()
        parser.feed(_blank_jinja(path.read_text()))
        parser.close()
        for line, text in parser.found:
            if _words(text):
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: {text.strip()[:60]!r}")
    return problems


def marked_messages() -> dict[str, str]:
    """msgid → where it is marked, for the templates and the Python code."""
    methods = [("web/templates/**.html", "jinja2"), ("**.py", "python")]
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=methods,
        options_map={"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, filename)
    return found


def danish_translations() -> dict[str, str]:
    translated: dict[str, str] = {}
    for po in sorted(DANISH.glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id and not message.fuzzy:
                    ids = message.id if isinstance(message.id, tuple) else (message.id,)
                    strings = message.string if isinstance(message.string, tuple) else (message.string,)
                    for msgid in ids:
                        if all(strings):
                            translated[msgid] = strings[0]
    return translated


def test_every_template_text_is_marked_for_translation() -> None:
    problems = untranslated_template_texts()
    assert not problems, "Texts in templates not marked for translation:\n" + "\n".join(problems)


def test_every_marked_message_has_a_danish_translation() -> None:
    translated = danish_translations()
    marked = sorted(marked_messages().items())
    missing = [f"{where}: {msgid!r}" for msgid, where in marked if msgid not in translated]
    assert not missing, "Messages without a Danish translation:\n" + "\n".join(missing)


def test_a_text_translated_in_several_parts_reads_the_same_in_each() -> None:
    """The parts' catalogues form one: a text two parts translate differently would show the first
    part's wording everywhere, silently."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted(DANISH.glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or message.fuzzy or not message.string:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string if isinstance(message.string, str) else message.string[0]
                earlier = seen.setdefault(key, (po.name, text))
                if earlier[1] != text:
                    clashes.append(f"{key!r}: {earlier[0]} says {earlier[1]!r}, {po.name} says {text!r}")
    assert not clashes, "Texts translated differently by two parts:\n" + "\n".join(clashes)
