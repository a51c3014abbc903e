"""French is the source language; the English catalogue must cover every UI string."""
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "translations"))
from fill import is_translated  # noqa: E402


def source_strings():
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_has_an_english_translation():
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    translated = {m.id[0] if m.pluralizable else m.id
                  for m in catalogue if m.id and is_translated(m)}
    missing = sorted(source_strings() - translated)
    assert not missing, "run `make messages` and translate:\n" + "\n".join(missing)



def catalogue_of(locale):
    with (ROOT / f"translations/{locale}/LC_MESSAGES/messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_every_plural_has_its_french_forms():
    """French needs no translation but its plurals: without them gettext says "0 jours"."""
    french = catalogue_of("fr")
    forms = {m.id[0]: tuple(m.string[:2]) for m in french if m.id and m.pluralizable}
    missing = sorted(m.id[0] for m in catalogue_of("en")
                     if m.id and m.pluralizable and forms.get(m.id[0]) != tuple(m.id))
    assert not missing, "run `make messages`: no French plural forms for\n" + "\n".join(missing)
    assert french.plural_expr.startswith("(n == 0 || n == 1)")  # 0 and 1 are singular
