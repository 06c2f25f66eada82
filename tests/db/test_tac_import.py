"""TAC import: real Osmocom export, a quirky CSV, idempotent re-import, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from bot.services.tac_import import TacFormat, import_tac_file
from db.repositories.devices import TacRepository
from db.session import make_engine, make_sessionmaker

pytestmark = pytest.mark.db

OSMOCOM = Path(__file__).resolve().parents[3] / "shared" / "data" / "osmocom-tacdb-2018.csv"

QUIRKY_CSV = (
    "tac,brand,model\n"
    "35152404, Nokia ,1280\n"  # leading and trailing spaces
    '35000001,"Samsung","Galaxy J7 Prime, SM-G610F"\n'  # quoted field with a comma
    "35000002,Apple,iPhone 6\n"
    "35000002,Apple,iPhone 6s\n"  # duplicate TAC: the last one wins
    "1130000,Apple,iPhone 4\n"  # leading zero lost
    "35000003,Xiaomi,Redmi\u0007 Note\u200b 8\n"  # control and format characters
    "12345,Foo,Bar\n"  # too short
    "abcdefgh,Foo,Bar\n"  # not a number
    "35000004,,Nameless\n"  # brand missing
    "\n"
)


@pytest.fixture
async def sessions(database_url):
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_quirky_csv(sessions, tmp_path):
    path = tmp_path / "tac.csv"
    path.write_text(QUIRKY_CSV, encoding="utf-8")
    seen = []
    summary = await import_tac_file(sessions, path, TacFormat.CSV, progress=seen.append)
    assert sum(seen) == path.stat().st_size
    assert summary.tacs_in_database == 5
    assert summary.duplicates_in_batch == 1
    assert summary.zero_padded == 1
    assert summary.skipped == 3
    async with sessions() as session:
        tacs = TacRepository(session)
        nokia = await tacs.get("35152404")
        assert (nokia.brand, nokia.model) == ("Nokia", "1280")
        assert (await tacs.get("35000002")).model == "iPhone 6s"
        assert (await tacs.get("01130000")).model == "iPhone 4"
        assert (await tacs.get("35000003")).model == "Redmi Note 8"
        assert (await tacs.get("35000001")).model == "Galaxy J7 Prime, SM-G610F"
    again = await import_tac_file(sessions, path, TacFormat.CSV)
    assert again.tacs_in_database == 5


@pytest.mark.skipif(not OSMOCOM.exists(), reason="../shared/data is not beside the checkout")
async def test_real_osmocom_export_imports_and_reimports_idempotently(sessions):
    first = await import_tac_file(sessions, OSMOCOM, TacFormat.OSMOCOM)
    assert first.tacs_in_database > 24_000
    assert first.zero_padded > 0
    second = await import_tac_file(sessions, OSMOCOM, TacFormat.OSMOCOM)
    assert second.tacs_in_database == first.tacs_in_database
    async with sessions() as session:
        tacs = TacRepository(session)
        assert (await tacs.get("35152404")).model == "1280"
        # "1194800" (iPhone 4) lost its zero in a spreadsheet; 01194800 is the iPhone 3GS.
        assert (await tacs.get("01194800")).model == "iPhone 3GS"
    assert first.padded_not_used > 0


async def test_a_zero_padded_tac_never_replaces_an_exact_one(sessions, tmp_path):
    path = tmp_path / "tac.csv"
    path.write_text("1194800,Apple,iPhone 4\n01194800,Apple,iPhone 3GS\n1130000,Apple,iPhone 4\n")
    summary = await import_tac_file(sessions, path, TacFormat.CSV)
    assert (summary.zero_padded, summary.padded_not_used) == (2, 1)
    async with sessions() as session:
        tacs = TacRepository(session)
        assert (await tacs.get("01194800")).model == "iPhone 3GS"
        assert (await tacs.get("01130000")).model == "iPhone 4"  # no exact line: the guess


async def test_cli_import_shows_a_summary(database_url, tmp_path, monkeypatch):
    path = tmp_path / "tac.csv"
    path.write_text(QUIRKY_CSV, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["devices", "import-tac", str(path), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "TACs now in the database: 5" in result.output
    assert "Lines skipped: 3" in result.output
    bad = await asyncio.to_thread(
        CliRunner().invoke, cli, ["devices", "import-tac", str(path), "--format", "xml"]
    )
    assert bad.exit_code != 0
