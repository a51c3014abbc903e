"""Maintain the English catalogue: `make messages` extracts the French source strings,
updates translations/en/LC_MESSAGES/messages.po, then this script reports (or, given
a Python file defining a dict EN of French -> English, fills) missing translations.

    python translations/fill.py            # list untranslated strings, exit 1 if any
    python translations/fill.py more.py    # fill them from more.py's EN dict

It also writes the French catalogue. French is the source language and needs no
translation, but gettext's fallback for a string it does not find picks the plural
for every count but 1 ("0 jours"); French says "0 jour", "1 jour", "2 jours". The
French catalogue therefore holds every plural string, its forms its own source text,
under French plural rules.
"""
import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"
FRENCH = Path(__file__).parent / "fr" / "LC_MESSAGES" / "messages.po"


def is_translated(message):
    strings = message.string if message.pluralizable else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


def main(argv):
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    additions = runpy.run_path(argv[1])["EN"] if len(argv) > 1 else {}
    missing = []
    for message in catalogue:
        if not message.id or is_translated(message):
            continue
        key = message.id[0] if message.pluralizable else message.id
        if key in additions:
            message.string = additions[key]  # a (singular, plural) pair for plurals
            message.flags.discard("fuzzy")
        else:
            missing.append(key)
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, width=100, omit_header=False)
    write_french_plurals(catalogue)
    for text in missing:
        print(f"untranslated: {text!r}")
    return 1 if missing else 0


def write_french_plurals(catalogue):
    french = Catalog(locale="fr", fuzzy=False)  # Babel's French plural rule (CLDR's)
    for message in catalogue:
        if message.id and message.pluralizable:
            singular, plural = message.id
            forms = (singular,) + (plural,) * (french.num_plurals - 1)  # 0 and 1 are singular
            french.add(message.id, string=forms, flags=message.flags - {"fuzzy"})
    FRENCH.parent.mkdir(parents=True, exist_ok=True)
    with FRENCH.open("wb") as handle:
        write_po(handle, french, width=100, omit_header=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
