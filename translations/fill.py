"""Maintain the English catalogue: `make messages` extracts the French source strings,
updates translations/en/LC_MESSAGES/messages.po, then this script reports (or, given
a Python file defining a dict EN of French -> English, fills) missing translations.

    python translations/fill.py            # list untranslated strings, exit 1 if any
    python translations/fill.py more.py    # fill them from more.py's EN dict
"""
import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"


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
    for text in missing:
        print(f"untranslated: {text!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
