"""Fixtures shared by the service tests: the shipped content, and the compiled catalogs."""

from __future__ import annotations

import pytest

from bot.content.loader import Content, load_content
from bot.core.i18n import load_catalogs


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
def catalogs(locales_dir) -> None:
    load_catalogs(locales_dir, ("vi", "en"))
