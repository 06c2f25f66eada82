"""The registrations export (bot/services/exports.py) on 10,000 and 100,000 rows, next to
XlsxWriter writing the same rows from a Python list in the same run; prints one JSON object.

Per database (SQLite in a temporary file, and PostgreSQL when --postgres-url or
TEST_DATABASE_URL is given: a throwaway database, dropped afterwards) the registrations are
filled with bulk inserts (SQLAlchemy Core: users, one consent per registration, the
registrations, spread over the communes of Sơn La and two years; some names begin with "="
or carry an emoji), first up to the smallest size, then up to each larger one. Every step
runs in a fresh process, so that a measurement's peak memory is its own: `ru_maxrss` of that
process (it includes the interpreter and the imports, ~120 MB, ~50 MB of which are the FAQ
matcher's numpy and scipy that importing `bot.services` brings in; Linux carries a parent's
peak over into its children, so this process does nothing but start them and stays far
below: `bench_process_peak_mb`).

- `<db>_<n>_xlsx_*`, `<db>_<n>_csv_*`: the export as the CLI and the chat run it: the rows
  streamed from the database (`RegistrationRepository.stream`, the whole country), written by
  `write_xlsx` / `write_csv`; `seconds` from opening the session to the file being in place,
  and `peak_mb`.
- `<db>_<n>_floor_xlsx_*`: the floor: the same rows read into a list of cells first (not
  timed), then XlsxWriter (constant_memory, the same formats, widths, frozen header and
  autofilter) writing them with `write_string` / `write_datetime`. `floor_csv_*`: the csv
  module writing that list (for reference: the goal compares both formats with the XlsxWriter
  floor, as the issue says). A floor's peak includes the list.
- `<db>_<n>_xlsx_over_floor`, `<db>_<n>_csv_over_floor`: export time / XlsxWriter floor
  time (goal: at most 1.5); `<db>_<n>_xlsx_cpu_over_floor`: the same in CPU time (all the
  process's threads; less affected by other work on the machine than wall time).
- `<db>_xlsx_peak_growth`, `<db>_csv_peak_growth`: peak at the largest size / peak at the
  smallest (goal: at most 1.3, memory that does not grow with the rows; and under 200 MB).
  On SQLite what grows is SQLite's page cache, which keeps the pages read up to its limit
  (`cache_size`, 64 MiB per connection, db/session.py); the export itself holds one batch.
- `<db>_fill_seconds`: time spent filling; `load_average_at_start`: the machine's 1-minute
  load when the bench began (other work on the machine slows every figure down).

Usage: .venv/bin/python bench/export.py [--sizes 10000,100000] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {"seconds": 10, "over_floor": 1.5, "peak_growth": 1.3, "peak_mb": 200}
TIMEZONE = "Asia/Ho_Chi_Minh"
PROVINCE = 14  # Sơn La
USERS = 1000
CHUNK = 5000
NAMES = ("Lò Văn Huy", "Quàng Thị Mến", "Cầm Văn Sơn", "Hà Thị Ngọc 🌾", "Lường Văn Ánh",
         "=1+2 Tòng Văn Pấng", "@Vì Thị Dung", "Nguyễn Thị Hồng Nhung", "Đinh Công Tuấn",
         "Mùa A Páo")  # fmt: skip
VILLAGES = ("Bản Hụm", "Bản Cọ", "Tổ 3", "Bản Nà Pát", "+Bản Lả Mường", "Tiểu khu 5")
CATEGORIES = ("poor", "near_poor", "merit", "policy", "elderly_alone", "disability", "other")
STATUSES = ("submitted", "verified", "approved", "rejected", "handed_over", "withdrawn")
VERDICTS = ("2g_only", "no_4g", "4g_no_volte", "4g_volte", "4g", "unknown", None)
HELP = ("keypad4g", "smartphone", "guidance")
REGISTRANTS = (("self", None), ("relative", "child"), ("relative", "spouse"), ("official", None))
CHANNELS = ("telegram", "zalo")
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


# --- children: one measurement each, in a fresh process ------------------------------------


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _export(url: str, kind: str, out: Path) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from bot.services.exports import ExportFormat, write_export
    from bot.services.places import Places
    from bot.services.scopes import RegistrationFilter, Scope, selection
    from db.repositories.registrations import RegistrationRepository
    from db.session import make_engine, make_sessionmaker

    zone = ZoneInfo(TIMEZONE)
    engine = make_engine(url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        async with make_sessionmaker(engine)() as session:
            rows = RegistrationRepository(session).stream(
                selection(Scope.everywhere(), RegistrationFilter(), zone)
            )
            written = await write_export(ExportFormat(kind), rows, out, places=Places(), zone=zone)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await engine.dispose()
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "rows": written}


async def _read_cells(url: str) -> list[tuple[Any, ...]]:
    """Every registration as the export's cells, in one list (the floor's input)."""
    from zoneinfo import ZoneInfo

    from bot.services.exports import Cells
    from bot.services.places import Places
    from bot.services.scopes import RegistrationFilter, Scope, selection
    from db.repositories.registrations import RegistrationRepository
    from db.session import make_engine, make_sessionmaker

    zone = ZoneInfo(TIMEZONE)
    cells = Cells(Places(), zone)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            chosen = selection(Scope.everywhere(), RegistrationFilter(), zone)
            return [cells.of(row) async for row in RegistrationRepository(session).stream(chosen)]
    finally:
        await engine.dispose()


def _floor_xlsx(rows: list[tuple[Any, ...]], out: Path) -> None:
    """XlsxWriter alone: what writing these cells costs, with nothing around it."""
    import xlsxwriter

    from bot.services.exports import COLUMNS, DATE_COLUMNS, HEADERS, XLSX_DATE_FORMAT

    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": XLSX_DATE_FORMAT})
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width)
    sheet.freeze_panes(1, 0)
    for index, header in enumerate(HEADERS):
        sheet.write_string(0, index, header, bold)
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if index in DATE_COLUMNS:
                sheet.write_datetime(number, index, value, when)
            elif value:
                sheet.write_string(number, index, value)
    sheet.autofilter(0, 0, len(rows), len(COLUMNS) - 1)
    workbook.close()


def _floor_csv(rows: list[tuple[Any, ...]], out: Path) -> None:
    """The csv module alone, on the same cells (dates already as text)."""
    import csv

    from bot.services.exports import HEADERS, csv_time

    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow([csv_time(v) if isinstance(v, datetime) else v for v in row])


def child(kind: str, url: str, *rest: str) -> None:
    """`bench/export.py --child KIND URL ...`: one step in a fresh process; prints its JSON."""
    started = time.perf_counter()
    if kind == "fill":
        first, stop = int(rest[0]), int(rest[1])
        fill(url, first, stop)
        print(json.dumps({"seconds": round(time.perf_counter() - started, 2)}))
        return
    out = Path(rest[0])
    if kind in ("xlsx", "csv"):
        result = asyncio.run(_export(url, kind, out))
    else:
        rows = asyncio.run(_read_cells(url))
        started, cpu = time.perf_counter(), time.process_time()
        (_floor_xlsx if kind == "floor_xlsx" else _floor_csv)(rows, out)
        result = {
            "seconds": round(time.perf_counter() - started, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "rows": len(rows),
        }
    result["peak_mb"] = _peak_mb()
    result["file_mb"] = round(out.stat().st_size / 1e6, 1)
    print(json.dumps(result))


def in_child(kind: str, url: str, *rest: str) -> dict[str, Any]:
    """Run one step in a fresh process and read what it printed."""
    output = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind, url, *rest],
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- filling -----------------------------------------------------------------------------


def _reference(number: int) -> str:
    letters = []
    for _ in range(5):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return "HT-" + "".join(reversed(letters))


def fill(url: str, start: int, stop: int) -> None:
    """Registrations number `start` to `stop - 1` with their consents, in bulk (the first
    time, on a database migrated here, with the users)."""
    from sqlalchemy import create_engine, insert
    from vietnam_provinces import Ward

    from bot.core.text import fold
    from db import migrate
    from db.models import Consent, Registration, User
    from db.session import async_url

    if start == 0:
        migrate.upgrade(url)
    wards = sorted(int(w.code) for w in Ward.iter_all() if int(w.province_code) == PROVINCE)

    sync_url = async_url(url).set(
        drivername="sqlite" if url.startswith("sqlite") else "postgresql+psycopg"
    )
    engine = create_engine(sync_url)
    try:
        with engine.begin() as connection:
            if start == 0:
                users = [
                    {"id": n + 1, "channel": CHANNELS[n % 2], "external_id": f"bench-{n}",
                     "locale": "vi", "created_at": START, "last_seen_at": START}
                    for n in range(USERS)
                ]  # fmt: skip
                connection.execute(insert(User.__table__), users)
            for first in range(start, stop, CHUNK):
                numbers = range(first, min(first + CHUNK, stop))
                consents, registrations = [], []
                for n in numbers:
                    at = START + timedelta(minutes=7 * n)
                    registrant, relation = REGISTRANTS[n % len(REGISTRANTS)]
                    name = NAMES[n % len(NAMES)]
                    consents.append(
                        {"id": n + 1, "user_id": n % USERS + 1, "purpose": "registration",
                         "text_version": "reg-2026-12", "channel": CHANNELS[n % 2],
                         "on_behalf": registrant, "given_at": at}
                    )  # fmt: skip
                    registrations.append(
                        {"id": n + 1, "reference": _reference(n), "user_id": n % USERS + 1,
                         "consent_id": n + 1, "channel": CHANNELS[n % 2],
                         "registrant": registrant, "relation": relation, "head_name": name,
                         "head_name_key": fold(name), "contact_phone": f"+8491{n:07d}",
                         "old_phone": f"+8498{n:07d}" if n % 3 == 0 else None,
                         "province_code": PROVINCE, "ward_code": wards[n % len(wards)],
                         "village": VILLAGES[n % len(VILLAGES)],
                         "category": CATEGORIES[n % len(CATEGORIES)],
                         "device_name": "Nokia 105 (2019)" if n % 2 else None,
                         "device_verdict": VERDICTS[n % len(VERDICTS)],
                         "help_wanted": HELP[n % len(HELP)],
                         "status": STATUSES[n % len(STATUSES)],
                         "created_at": at, "updated_at": at + timedelta(days=n % 40)}
                    )  # fmt: skip
                connection.execute(insert(Consent.__table__), consents)
                connection.execute(insert(Registration.__table__), registrations)
    finally:
        engine.dispose()


# --- the run -----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A throwaway database on the server of `server_url`, dropped afterwards."""
    import psycopg

    server = urlsplit(server_url.replace("postgres://", "postgresql://", 1))
    name = f"bench_export_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(server._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_database(url: str, sizes: list[int], folder: Path) -> dict[str, Any]:
    """Fill up to each size, then measure the exports and the floors there."""
    report: dict[str, Any] = {}
    filled, fill_seconds = 0, 0.0
    peaks: dict[str, list[float]] = {"xlsx": [], "csv": []}
    for size in sizes:
        fill_seconds += in_child("fill", url, str(filled), str(size))["seconds"]
        filled = size
        results = {}
        for kind in ("xlsx", "csv", "floor_xlsx", "floor_csv"):
            out = folder / f"out.{kind}"
            results[kind] = in_child(kind, url, str(out))
            out.unlink()
        for kind, result in results.items():
            if result["rows"] != size:
                raise RuntimeError(f"{kind} wrote {result['rows']} rows, not {size}")
            report[f"{size}_{kind}_seconds"] = round(result["seconds"], 2)
            if kind != "floor_csv":
                report[f"{size}_{kind}_peak_mb"] = result["peak_mb"]
        floor = results["floor_xlsx"]
        for kind in ("xlsx", "csv"):
            ratio = results[kind]["seconds"] / floor["seconds"]
            report[f"{size}_{kind}_over_floor"] = round(ratio, 2)
        ratio = results["xlsx"]["cpu_seconds"] / floor["cpu_seconds"]
        report[f"{size}_xlsx_cpu_over_floor"] = round(ratio, 2)
        for kind, values in peaks.items():
            values.append(results[kind]["peak_mb"])
    for kind, values in peaks.items():
        report[f"{kind}_peak_growth"] = round(values[-1] / values[0], 2)
    report["fill_seconds"] = round(fill_seconds, 1)
    return report


def main(args: argparse.Namespace) -> None:
    sizes = sorted(int(size) for size in args.sizes.split(","))
    report: dict[str, Any] = {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "sizes": sizes,
        **{f"goal_{key}": value for key, value in GOALS.items()},
    }
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)

        @contextlib.contextmanager
        def sqlite() -> Iterator[str]:
            yield f"sqlite:///{folder}/export.db"

        databases = [("sqlite", sqlite)]
        if args.postgres_url:
            databases.append(("postgresql", lambda: postgres_database(args.postgres_url)))
        for label, urls in databases:
            with urls() as url:
                for key, value in run_database(url, sizes, folder).items():
                    report[f"{label}_{key}"] = value
    # A child's ru_maxrss starts from its parent's peak (Linux keeps it across fork and
    # exec): this process stays far below the children, so their figures are their own.
    report["bench_process_peak_mb"] = _peak_mb()
    print(json.dumps(report))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="registrations, comma-separated")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _parse()
    if arguments.child:
        child(*arguments.child)
    else:
        main(arguments)
