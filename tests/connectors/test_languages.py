"""Connectors speak every language erpsync speaks, packed as SuperOffice packs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync import i18n
from erpsync.connectors.demo.config import CONFIG_FIELDS, parse_config
from erpsync.sdk.errors import ConfigInvalid
from erpsync.sdk.languages import explain, joined, pack_languages


def test_texts_are_packed_english_first_with_quotes_doubled() -> None:
    packed = pack_languages({"da": 'Sig "hej"', "en": 'Say "hi"'})
    assert packed == 'US:"Say ""hi"""DK:"Sig ""hej"""'
    assert i18n.pick_explanation(packed, "da") == 'Sig "hej"'
    assert pack_languages({"en": "OK", "da": "OK"}) == "OK"
    assert pack_languages({}) == ""


def test_a_message_is_explained_in_every_language_with_packed_values_picked() -> None:
    fields = joined(", ", [explain("User name"), explain("Password")])
    packed = explain("Please fill in: %(fields)s.", fields=fields)
    assert i18n.pick_explanation(packed, "en") == "Please fill in: User name, Password."
    assert i18n.pick_explanation(packed, "da") == "Udfyld: Brugernavn, Adgangskode."


def test_the_demo_connectors_config_fields_and_refusals_come_in_both_languages(tmp_path: Path) -> None:
    names = {f.field_key: f.display_name for f in CONFIG_FIELDS}
    assert i18n.pick_explanation(names["Username"], "da") == "Brugernavn"
    assert i18n.pick_explanation(names["Username"], "en") == "User name"
    with pytest.raises(ConfigInvalid) as refused:
        parse_config({"Database": "", "Username": "admin", "Password": ""}, tmp_path)
    explanation = refused.value.user_explanation
    assert i18n.pick_explanation(explanation, "en") == "Please fill in: Database, Password."
    assert i18n.pick_explanation(explanation, "da") == "Udfyld: Database, Adgangskode."
