"""Texts for people: made in the current language, kept in every language, shown in the reader's."""

from __future__ import annotations

import pickle

from erpsync import i18n
from erpsync.crm.errors import CrmValidationError, RecordNotFound
from erpsync.crm.texts import Text, _, every_language, in_every_language, is_message, joined, noun, shown

CONNECTOR_SAYS = 'US:"Wrong user name or password."DK:"Forkert brugernavn eller adgangskode."'


def test_a_text_is_made_in_the_current_language_with_its_values_put_in_after_translation() -> None:
    english = _("There is no user with id %(id)s.", id=7)
    with i18n.use_language("da"):
        danish = _("There is no user with id %(id)s.", id=7)
    assert (english, danish) == ("There is no user with id 7.", "Der findes ingen bruger med id 7.")
    assert isinstance(danish, Text)
    assert danish.in_language("en") == english


def test_a_stored_text_keeps_every_language_and_each_reader_sees_their_own() -> None:
    with i18n.use_language("da"):
        made = _("Connected to %(type)s %(key)s.", type="Customer", key='1"2')
    stored = in_every_language(made)
    assert stored == 'US:"Connected to Customer 1""2."DK:"Forbundet med Customer 1""2."'
    assert shown(stored, "en") == 'Connected to Customer 1"2.'
    assert shown(stored, "da") == 'Forbundet med Customer 1"2.'
    with i18n.use_language("da"):
        assert shown(stored) == 'Forbundet med Customer 1"2.'
    # Plain text, and text alike in every language, are stored as they are.
    assert in_every_language("raw") == "raw"
    assert in_every_language(_("%(what)s", what="Customer")) == "Customer"


def test_a_packed_value_is_put_in_per_language() -> None:
    message = _("%(what)s failed: %(detail)s", what=_("Testing the connection"), detail=CONNECTOR_SAYS)
    assert message == "Testing the connection failed: Wrong user name or password."
    assert (
        message.in_language("da") == "Test af ERP-linket mislykkedes: Forkert brugernavn eller adgangskode."
    )


def test_joined_texts_and_crm_refusals_stay_translatable() -> None:
    refusal = CrmValidationError({"name": _("is required"), "3.email": "raw 100%"})
    assert str(refusal) == "The values were refused. name: is required; 3.email: raw 100%"
    assert isinstance(refusal.text, Text)
    assert refusal.text.in_language("da") == "Værdierne blev afvist. name: skal udfyldes; 3.email: raw 100%"
    assert joined(", ", [noun("company"), noun("person")]).in_language("da") == "firma, person"
    assert RecordNotFound("project", 4).message.in_language("da") == "Der findes intet projekt med id 4."


def test_a_text_is_recognised_by_its_message_whatever_its_language() -> None:
    with i18n.use_language("da"):
        linked = _("already linked")
    assert linked == "allerede forbundet"
    assert is_message(linked, "already linked")
    assert is_message("already linked", "already linked")
    assert not is_message(linked, "left out")


def test_a_maker_packs_many_texts_of_one_message() -> None:
    make = every_language("Linked to %(type)s %(key)s by import.")
    assert make(type="Customer", key="7") == (
        'US:"Linked to Customer 7 by import."DK:"Forbundet med Customer 7 ved import."'
    )


def test_a_pickled_text_is_the_text_it_reads_as() -> None:
    with i18n.use_language("da"):
        made = _("already linked")
    copy = pickle.loads(pickle.dumps(made))
    assert (copy, type(copy)) == ("allerede forbundet", str)
