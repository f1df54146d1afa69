"""The French catalogue is complete, compiled, and its placeholders match the English."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(PO))


def test_every_string_of_the_interface_has_a_french_translation(catalogue):
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    assert missing == []


def test_no_french_translation_is_left_marked_fuzzy(catalogue):
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_french_translations_keep_every_placeholder_of_the_english(catalogue):
    wrong = []
    for entry in catalogue.translated_entries():
        english = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            # "Save this result" / "Save these %(counter)s results": the singular may leave
            # the count out, but no form may bring in a name the English does not have.
            english |= set(PLACEHOLDER.findall(entry.msgid_plural))
            forms = [set(PLACEHOLDER.findall(text)) for text in entry.msgstr_plural.values()]
            if any(not form <= english for form in forms) or set().union(*forms) != english:
                wrong.append(entry.msgid)
        elif set(PLACEHOLDER.findall(entry.msgstr)) != english:
            wrong.append(entry.msgid)
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    # A .po edited without `make messages` would ship stale French: compare what Django reads
    # from the .mo with the .po, entry by entry.
    stale = []
    with translation.override("fr"):
        for entry in catalogue.translated_entries():
            if entry.msgid_plural:
                got = (
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                    if entry.msgctxt
                    else translation.ngettext(entry.msgid, entry.msgid_plural, 1)
                )
                want = entry.msgstr_plural[0]
            else:
                got = (
                    translation.pgettext(entry.msgctxt, entry.msgid)
                    if entry.msgctxt
                    else translation.gettext(entry.msgid)
                )
                want = entry.msgstr
            if got != want:
                stale.append(entry.msgid)
    assert stale == []
