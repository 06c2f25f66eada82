"""Registrations as a spreadsheet file for provincial and commune staff: XLSX or CSV.

The file is a Vietnamese administrative document, read by officials whatever language the
person who asked for it chats in, so its headers and value labels are plain Vietnamese
constants here, not gettext messages (the catalogs translate the chat, not this document).
A value this module does not know (a new status, say) is written as it is stored.

Both writers take the rows as an async iterator (the repository streams them in batches;
only their attributes are read, so Core rows of `registrations` do as well as ORM objects) and
never hold them: XLSX goes through XlsxWriter in constant-memory mode, CSV through the csv
module, one row at a time. What a citizen typed (names, villages) is always written as text:
in XLSX every text cell goes through `write_string`, so "=1+2" or "@SUM(A1)" is never a
formula nor a link; in CSV, which Excel reads as it likes, a text beginning with = + - @, a
tab, CR or LF gets a leading apostrophe (OWASP "CSV injection"). Phones are written as
Vietnamese write them ("0912345678"), always as text so that the leading zero stays; times
are shown in the users' time zone. CSV has no cell types: Excel opening one directly reads
0912345678 as a number and drops the zero (neutralising it would change the number for every
other tool), so XLSX is the format for Excel, CSV the one for other tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import operator
import shutil
import tempfile
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.places import Place, Places
from db.models import Registration


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the export: its header and its width in XLSX (characters)."""

    header: str
    width: float


COLUMNS: tuple[Column, ...] = (
    Column("Mã hồ sơ", 11),
    Column("Họ và tên chủ hộ", 28),
    Column("Số điện thoại", 14),
    Column("Số máy cũ", 14),
    Column("Tỉnh/Thành phố", 16),
    Column("Xã/Phường", 24),
    Column("Thôn/Bản/Tổ", 20),
    Column("Diện hộ", 28),
    Column("Máy đang dùng", 24),
    Column("Máy có bị ảnh hưởng", 20),
    Column("Hỗ trợ cần", 24),
    Column("Người đăng ký", 20),
    Column("Quan hệ với chủ hộ", 18),
    Column("Tình trạng", 30),
    Column("Ngày đăng ký", 17),
    Column("Cập nhật lần cuối", 17),
    Column("Kênh", 11),
)
HEADERS = tuple(column.header for column in COLUMNS)
DATE_COLUMNS = (14, 15)  # "Ngày đăng ký", "Cập nhật lần cuối"
TEXT_COLUMNS = tuple(index for index in range(len(COLUMNS)) if index not in DATE_COLUMNS)
SHEET_NAME = "Đăng ký hỗ trợ"
XLSX_DATE_FORMAT = "dd/mm/yyyy hh:mm"
# What Excel (and LibreOffice) may read as the start of a formula, or that can hide one.
UNSAFE_FIRST = frozenset("=+-@\t\r\n")

STATUSES = {
    "submitted": "Đã gửi, chờ xã/phường kiểm tra",
    "verified": "Xã/phường đã kiểm tra",
    "approved": "Được duyệt hỗ trợ",
    "rejected": "Không được duyệt",
    "handed_over": "Đã nhận máy",
    "withdrawn": "Đã rút",
}
CATEGORIES = {
    "poor": "Hộ nghèo",
    "near_poor": "Hộ cận nghèo",
    "merit": "Gia đình người có công",
    "policy": "Gia đình chính sách",
    "elderly_alone": "Người cao tuổi sống một mình",
    "disability": "Hộ có người khuyết tật",
    "other": "Khác",
}
HELP = {
    "keypad4g": "Điện thoại phím bấm 4G",
    "smartphone": "Điện thoại thông minh",
    "guidance": "Chỉ cần hướng dẫn",
}
REGISTRANTS = {
    "self": "Chủ hộ tự đăng ký",
    "relative": "Người nhà",
    "official": "Cán bộ xã/phường",
}
RELATIONS: dict[str | None, str] = {
    None: "",
    "parent": "Bố/mẹ",
    "grandparent": "Ông/bà",
    "spouse": "Vợ/chồng",
    "child": "Con",
    "sibling": "Anh/chị/em",
    "other": "Người thân khác",
}
AFFECTED = "Bị ảnh hưởng"
NOT_AFFECTED = "Không bị ảnh hưởng"
NOT_KNOWN = "Chưa rõ"
VERDICTS: dict[str | None, str] = {
    None: NOT_KNOWN,
    "2g_only": AFFECTED,
    "no_4g": AFFECTED,
    "4g_no_volte": AFFECTED,
    "4g_volte": NOT_AFFECTED,
    "4g": NOT_KNOWN,
    "unknown": NOT_KNOWN,
}
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "console": "Thử nghiệm"}


class ExportFormat(StrEnum):
    """The file formats an export can be written in."""

    XLSX = "xlsx"
    CSV = "csv"


def local_phone(e164: str | None) -> str:
    """A stored number as Vietnamese write it ("+84912345678" → "0912345678"); anything
    else as it is, and no number as an empty text."""
    if not e164:
        return ""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164


def neutralise(text: str) -> str:
    """A CSV cell Excel will not run: a leading apostrophe before = + - @, tab, CR or LF."""
    return "'" + text if text[:1] in UNSAFE_FIRST else text


def csv_time(moment: datetime) -> str:
    """A local time as the CSV writes it: "2026-12-04 00:30"."""
    return moment.isoformat(" ", "minutes")[:16]


class _Names(dict[int, str]):
    """Official names by code, looked up once each (an unknown code is written as it is)."""

    def __init__(self, find: Callable[[int], Place | None]) -> None:
        super().__init__()
        self.find = find

    def __missing__(self, code: int) -> str:
        place = self.find(code)
        name = self[code] = place.name if place else str(code)
        return name


# The fields a row is read from, each once, in the order of COLUMNS.
_FIELDS = operator.attrgetter(
    "reference", "head_name", "contact_phone", "old_phone", "province_code", "ward_code",
    "village", "category", "device_name", "device_verdict", "help_wanted", "registrant",
    "relation", "status", "created_at", "updated_at", "channel",
)  # fmt: skip


class Cells:
    """Turns a registration into the export's cells: texts, and local date-times in the
    DATE_COLUMNS (used by both writers, and by bench/export.py)."""

    def __init__(self, places: Places, zone: ZoneInfo) -> None:
        self.zone = zone
        self.provinces = _Names(places.province)
        self.wards = _Names(places.ward)

    def _local(self, moment: datetime) -> datetime:
        """A stored moment (naive from SQLite: UTC) in the users' time zone."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def of(self, row: Registration) -> tuple[str | datetime, ...]:
        """The row's cells, in the order of COLUMNS."""
        (reference, name, phone, old_phone, province, ward, village, category, device,
         verdict, wanted, registrant, relation, status, created, updated,
         channel) = _FIELDS(row)  # fmt: skip
        return (
            reference,
            name,
            local_phone(phone),
            local_phone(old_phone),
            self.provinces[province],
            self.wards[ward],
            village,
            CATEGORIES.get(category, category),
            device or "",
            VERDICTS.get(verdict, verdict),
            HELP.get(wanted, wanted),
            REGISTRANTS.get(registrant, registrant),
            RELATIONS.get(relation, relation),
            STATUSES.get(status, status),
            self._local(created),
            self._local(updated),
            CHANNELS.get(channel, channel),
        )


async def write_xlsx(
    rows: AsyncIterable[Registration], path: Path, *, places: Places, zone: ZoneInfo
) -> int:
    """Write the registrations to an XLSX file, streamed (constant memory): a bold, frozen
    header row, an autofilter over the data, every text as a text cell, dates as Excel
    date-times. Returns how many rows were written; on an error no file is left."""
    import xlsxwriter

    cells = Cells(places, zone)
    # Written in a scratch folder (where XlsxWriter also streams the rows) and moved into
    # place once complete: an export that fails half-way leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="export-") as scratch:
        part = Path(scratch) / "export.xlsx"
        workbook = xlsxwriter.Workbook(
            str(part),
            {
                "constant_memory": True,
                "tmpdir": scratch,
                # Only `write()` reads these; every cell here is written by its type, but a
                # text must never become a formula, a link or a number whatever writes it.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                # Excel has no time zones: local times are written as they read.
                "remove_timezone": True,
            },
        )
        written = 0
        try:
            sheet = workbook.add_worksheet(SHEET_NAME)
            bold = workbook.add_format({"bold": True})
            when = workbook.add_format({"num_format": XLSX_DATE_FORMAT})
            for index, column in enumerate(COLUMNS):
                sheet.set_column(index, index, column.width)
            sheet.freeze_panes(1, 0)
            for index, header in enumerate(HEADERS):
                sheet.write_string(0, index, header, bold)
            write_string, write_datetime = sheet.write_string, sheet.write_datetime
            async for registration in rows:
                written += 1
                values = cells.of(registration)
                for index in TEXT_COLUMNS:
                    if values[index]:  # an empty text is an empty cell
                        write_string(written, index, values[index])  # type: ignore[arg-type]
                for index in DATE_COLUMNS:
                    write_datetime(written, index, values[index], when)  # type: ignore[arg-type]
            sheet.autofilter(0, 0, written, len(COLUMNS) - 1)
        except BaseException:
            with contextlib.suppress(Exception):
                workbook.close()  # releases XlsxWriter's scratch file; the folder goes next
            raise
        # Zipping the parts is the slow end of a big file: off the event loop.
        await asyncio.to_thread(workbook.close)
        shutil.move(part, path)
    return written


async def write_csv(
    rows: AsyncIterable[Registration], path: Path, *, places: Places, zone: ZoneInfo
) -> int:
    """Write the registrations to a CSV file that Excel opens with its Vietnamese intact
    (UTF-8 with BOM), every text that could start a formula neutralised, times as
    "YYYY-MM-DD HH:MM" local. Returns how many rows were written; on an error no file is
    left."""
    cells = Cells(places, zone)
    written = 0
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            async for registration in rows:
                values = list(cells.of(registration))
                for index in DATE_COLUMNS:
                    values[index] = csv_time(values[index])  # type: ignore[arg-type]
                writer.writerow(map(neutralise, values))
                written += 1
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return written


async def write_export(
    file_format: ExportFormat,
    rows: AsyncIterable[Registration],
    path: Path,
    *,
    places: Places,
    zone: ZoneInfo,
) -> int:
    """Write the registrations in the chosen format; returns how many rows were written."""
    writer = write_xlsx if file_format is ExportFormat.XLSX else write_csv
    return await writer(rows, path, places=places, zone=zone)
