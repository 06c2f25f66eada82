"""Gettext catalogs per locale, with the current locale held in a ContextVar.

Code calls `_("English text {name}").format(name=…)`; the turn runner sets the locale of
the user for the duration of the turn with `use_locale`.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "messages"
_current_locale: ContextVar[str] = ContextVar("current_locale", default="vi")
_catalogs: dict[str, gettext.NullTranslations] = {}


class CatalogMissingError(RuntimeError):
    """A locale's compiled catalog (.mo) is missing."""


def load_catalogs(locales_dir: Path, locales: tuple[str, ...]) -> None:
    """Load the compiled catalog of every locale; raise a clear error when one is missing.

    English msgids are the source text, so a missing English catalog falls back to them;
    any other missing catalog is an installation error (run `make install`).
    """
    loaded: dict[str, gettext.NullTranslations] = {}
    for locale in locales:
        mo_file = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo_file.exists():
            with mo_file.open("rb") as handle:
                loaded[locale] = gettext.GNUTranslations(handle)
        elif locale == "en":
            loaded[locale] = gettext.NullTranslations()
        else:
            raise CatalogMissingError(
                f"Missing compiled catalog {mo_file}. Run `make install` to compile the catalogs."
            )
    _catalogs.clear()
    _catalogs.update(loaded)


def current_locale() -> str:
    """The locale of the turn being handled."""
    return _current_locale.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Make `locale` current inside the block."""
    token = _current_locale.set(locale)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext_(message: str) -> str:
    """Translate `message` into the current locale."""
    catalog = _catalogs.get(_current_locale.get())
    return catalog.gettext(message) if catalog else message


def ngettext_(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current locale."""
    catalog = _catalogs.get(_current_locale.get())
    if catalog is None:
        return singular if n == 1 else plural
    return catalog.ngettext(singular, plural, n)


_ = gettext_
_n = ngettext_
