"""The import rules of DESIGN.md §2, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

CHANNEL_FREE = ["bot/core", "bot/handlers", "bot/content"]
FORBIDDEN_EVERYWHERE_IN_CORE = (
    "telegram",
    "httpx",
    "fastapi",
    "uvicorn",
    "bot.channels",
    "bot.web",
)
FORBIDDEN_IN_HANDLERS = ("sqlalchemy", "db")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def breaks(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def python_files(folder: str) -> list[Path]:
    return sorted((PROJECT_ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", CHANNEL_FREE)
def test_core_handlers_and_content_are_channel_free(folder):
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            m for m in imported_modules(path) if breaks(m, FORBIDDEN_EVERYWHERE_IN_CORE)
        )
        for path in python_files(folder)
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_handlers_contain_no_database_code():
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            m for m in imported_modules(path) if breaks(m, FORBIDDEN_IN_HANDLERS)
        )
        for path in python_files("bot/handlers")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import telegram.ext\nfrom httpx import AsyncClient\n", encoding="utf-8")
    found = {m for m in imported_modules(bad) if breaks(m, FORBIDDEN_EVERYWHERE_IN_CORE)}
    assert found == {"telegram.ext", "httpx"}
