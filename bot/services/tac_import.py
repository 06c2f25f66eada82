"""Import of TAC → model files (Osmocom export or plain CSV), streamed in batches.

Memory stays flat whatever the size of the file: lines are read one at a time, rows are
written in batches with an upsert (re-import is idempotent), and duplicate TACs inside a batch
are collapsed (the last one wins, as it would across batches).

A 7-digit TAC is one whose leading zero a spreadsheet dropped; it is given back, but such a
guess never replaces a TAC that is known exactly: the Osmocom export lists 01194800 as the
iPhone 3GS and "1194800" as the iPhone 4, and the 3GS is the right answer.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories.devices import TacRepository

BATCH_SIZE = 5000


class TacRow(NamedTuple):
    """One TAC line ready for the database."""

    tac: str
    brand: str
    model: str
    source: str
    padded: bool = False  # the TAC had 7 digits and got its leading zero back


class TacFormat(StrEnum):
    """Supported input formats."""

    OSMOCOM = "osmocom"  # licence banner, then tac,name(brand),name(model),…
    CSV = "csv"  # tac,brand,model (header optional)


@dataclass(slots=True)
class ImportSummary:
    """What an import did."""

    lines: int = 0
    imported: int = 0
    duplicates_in_batch: int = 0
    zero_padded: int = 0
    padded_not_used: int = 0
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    tacs_in_database: int = 0


def _clean(text: str) -> str:
    if text.isascii() and text.isprintable():
        return " ".join(text.split())
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


def _lines(handle: BinaryIO, progress: Callable[[int], None]) -> Iterator[str]:
    """Decoded lines, reporting bytes read; undecodable bytes become U+FFFD."""
    for raw in handle:
        progress(len(raw))
        yield raw.decode("utf-8", errors="replace")


def parse_rows(lines: Iterator[str], fmt: TacFormat, summary: ImportSummary) -> Iterator[TacRow]:
    """Rows ready for the database; malformed lines are counted as skipped."""
    source = fmt.value
    for number, fields in enumerate(csv.reader(lines), 1):
        summary.lines += 1
        if not fields or not any(f.strip() for f in fields):
            continue
        tac = fields[0].strip().strip("\ufeff")
        if not tac.isdigit():
            if number <= 2:  # licence banner or header line
                continue
            _skip(summary, number, "TAC is not a number")
            continue
        padded = len(tac) == 7  # a leading zero lost in a spreadsheet ("1130000": 01130000)
        if padded:
            tac = "0" + tac
            summary.zero_padded += 1
        if len(tac) != 8:
            _skip(summary, number, f"TAC has {len(tac)} digits, not 8")
            continue
        brand = _clean(fields[1]) if len(fields) > 1 else ""
        model = _clean(fields[2]) if len(fields) > 2 else ""
        if not brand or not model:
            _skip(summary, number, "brand or model missing")
            continue
        yield TacRow(tac, brand[:64], model[:128], source, padded)


def _skip(summary: ImportSummary, number: int, reason: str) -> None:
    summary.skipped += 1
    if len(summary.skipped_examples) < 5:
        summary.skipped_examples.append(f"line {number}: {reason}")


async def import_tac_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    path: Path,
    fmt: TacFormat,
    *,
    progress: Callable[[int], None] = lambda _bytes: None,
) -> ImportSummary:
    """Import `path` into `tac_models`, one transaction per batch."""
    summary = ImportSummary()
    batch: dict[str, TacRow] = {}
    padded: dict[str, TacRow] = {}  # written last, and only where no TAC is known exactly
    with path.open("rb") as handle:
        for row in parse_rows(_lines(handle, progress), fmt, summary):
            target = padded if row.padded else batch
            if row.tac in target:
                summary.duplicates_in_batch += 1
            target[row.tac] = row
            if len(batch) >= BATCH_SIZE:
                await _write(sessionmaker, batch, summary)
    await _write(sessionmaker, batch, summary)
    if padded:
        async with sessionmaker() as session, session.begin():
            added = await TacRepository(session).insert_new([padded[t] for t in sorted(padded)])
        summary.imported += added
        summary.padded_not_used = len(padded) - added
    async with sessionmaker() as session:
        summary.tacs_in_database = await TacRepository(session).count()
    return summary


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession],
    batch: dict[str, TacRow],
    summary: ImportSummary,
) -> None:
    if not batch:
        return
    async with sessionmaker() as session, session.begin():
        # Sorted by TAC, each batch touches neighbouring index pages.
        await TacRepository(session).upsert_many([batch[tac][:4] for tac in sorted(batch)])
    summary.imported += len(batch)
    batch.clear()
