"""The registrations export, written to real files and read back: XLSX cell by cell with
openpyxl, CSV as bytes and with the csv module. The rows come from a real database through
the repository's stream and the staff selection, so scope and filters are exercised too."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.services.exports import ExportFormat, write_csv, write_export, write_xlsx
from bot.services.places import Places
from bot.services.scopes import RegistrationFilter, Scope, selection
from db.models import Consent, Registration
from db.repositories.registrations import RegistrationRepository
from db.repositories.users import UserRepository
from db.session import make_engine, make_sessionmaker

pytestmark = pytest.mark.db
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
HEADERS = ["Mã hồ sơ", "Họ và tên chủ hộ", "Số điện thoại", "Số máy cũ", "Tỉnh/Thành phố",
           "Xã/Phường", "Thôn/Bản/Tổ", "Diện hộ", "Máy đang dùng", "Máy có bị ảnh hưởng",
           "Hỗ trợ cần", "Người đăng ký", "Quan hệ với chủ hộ", "Tình trạng", "Ngày đăng ký",
           "Cập nhật lần cuối", "Kênh"]  # fmt: skip
CHIENG_SINH, CHIENG_AN, MUONG_PHANG = 3679, 3667, 3325  # two wards of Sơn La (14), one of 11


@pytest.fixture(scope="module")
def places() -> Places:
    return Places()


def household(number: int, **changes: object) -> dict[str, object]:
    values: dict[str, object] = dict(
        reference=f"HT-T{number:04d}", head_name="Lò Văn Huy",
        contact_phone=f"+8491234{number:04d}",
        old_phone=None, province_code=14, ward_code=CHIENG_SINH, village="Bản Hụm",
        category="poor", device_name=None, device_verdict=None, help_wanted="keypad4g",
        registrant="self", relation=None, status="submitted", channel="telegram",
        created_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
    )  # fmt: skip
    values.update(changes)
    values.setdefault("updated_at", values["created_at"])
    return values


async def store(url: str, *households: dict[str, object]) -> None:
    """Each household as a registration of its own user, with the consent it needs."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for values in households:
                user = await UserRepository(session).get_or_create(
                    channel=str(values["channel"]),
                    external_id=str(values["reference"]),
                    locale="vi",
                )
                consent = Consent(
                    user_id=user.id, purpose="registration", text_version="reg-2026-12",
                    channel=values["channel"], on_behalf=values["registrant"],
                    given_at=values["created_at"],
                )  # fmt: skip
                session.add(consent)
                await session.flush()
                session.add(Registration(user_id=user.id, consent_id=consent.id, **values))
    finally:
        await engine.dispose()


async def export(
    url: str,
    file_format: ExportFormat,
    path: Path,
    places: Places,
    scope: Scope | None = None,
    chosen: RegistrationFilter | None = None,
) -> int:
    """What `bot export registrations` does: the scope's rows, streamed into the file."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = RegistrationRepository(session).stream(
                selection(scope or Scope.everywhere(), chosen or RegistrationFilter(), ZONE)
            )
            return await write_export(file_format, rows, path, places=places, zone=ZONE)
    finally:
        await engine.dispose()


def sheet_rows(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def as_excel_shows(text: str) -> str:
    """A cell's text as Excel shows it: openpyxl leaves OOXML's escapes as stored ("\r" as
    "_x000D_", a typed "_x0041_" as "_x005F_x0041_"); Excel decodes them."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda found: chr(int(found[1], 16)), text)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


# A citizen's typing at its worst: formulas, a link, a number-looking text, marks, emoji.
TRICKY = (
    household(1, head_name="=1+2", village="@SUM(A1)", old_phone="+84987654321",
              ward_code=CHIENG_SINH, category="near_poor", device_name="Nokia 105",
              device_verdict="4g_no_volte", help_wanted="smartphone", registrant="relative",
              relation="grandparent", status="verified", channel="zalo",
              created_at=datetime(2026, 12, 3, 17, 30, tzinfo=UTC),  # 00:30 on the 4th locally
              updated_at=datetime(2026, 12, 5, 2, 0, tzinfo=UTC)),
    household(2, head_name="Hà Thị Ngọc Ánh 🌾", village="https://example.com/x",
              device_verdict="4g_volte"),
    household(3, head_name="-Lường Văn Pấng", village="0123456789012345",
              device_verdict="unknown"),
    household(4, head_name="+84 Quàng Thị Mến", village="\tBản Nà Pát\nTổ 3",
              category="new_kind", status="paused", channel="console", registrant="official"),
)  # fmt: skip


async def test_xlsx_has_vietnamese_headers_and_each_cell_as_staff_read_it(
    database_url, places, tmp_path
):
    await store(database_url, *TRICKY)
    path = tmp_path / "export.xlsx"

    assert await export(database_url, ExportFormat.XLSX, path, places) == 4

    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADERS
    assert all(cell.font.b for cell in rows[0])
    assert [cell.value for cell in rows[1]] == [
        "HT-T0001", "=1+2", "0912340001", "0987654321", "Sơn La", "Phường Chiềng Sinh",
        "@SUM(A1)", "Hộ cận nghèo", "Nokia 105", "Bị ảnh hưởng", "Điện thoại thông minh",
        "Người nhà", "Ông/bà", "Xã/phường đã kiểm tra", datetime(2026, 12, 4, 0, 30),
        datetime(2026, 12, 5, 9, 0), "Zalo",
    ]  # fmt: skip
    name, village = rows[1][1], rows[1][6]
    assert (name.data_type, village.data_type) == ("s", "s")  # texts, not formulas
    assert rows[1][2].data_type == "s"  # the phone keeps its leading zero
    created, updated = rows[1][14], rows[1][15]
    assert created.is_date and updated.is_date
    assert created.number_format == updated.number_format == "dd/mm/yyyy hh:mm"
    assert [cell.value for cell in rows[2][:3]] == ["HT-T0002", "Hà Thị Ngọc Ánh 🌾", "0912340002"]
    assert (rows[2][6].value, rows[2][6].hyperlink) == ("https://example.com/x", None)
    assert (rows[2][9].value, rows[2][3].value, rows[2][12].value) == (
        "Không bị ảnh hưởng", None, None,
    )  # fmt: skip
    assert (rows[3][1].value, rows[3][6].value) == ("-Lường Văn Pấng", "0123456789012345")
    assert (rows[3][6].data_type, rows[3][9].value) == ("s", "Chưa rõ")
    # Values the module has no label for are written as they are.
    assert [rows[4][i].value for i in (1, 6, 7, 9, 11, 13, 16)] == [
        "+84 Quàng Thị Mến", "\tBản Nà Pát\nTổ 3", "new_kind", "Chưa rõ", "Cán bộ xã/phường",
        "paused", "Thử nghiệm",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Q5"
    assert sheet.column_dimensions["B"].width > 20  # widths set: names are not cut at 8.43
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
        names = archive.namelist()
    assert "<f>" not in xml and "<hyperlink" not in xml
    # Streamed (constant memory): strings inline, no shared-strings table built in memory.
    assert 't="inlineStr"' in xml and "xl/sharedStrings.xml" not in names


async def test_csv_opens_in_excel_with_formulas_neutralised_and_the_rest_exact(
    database_url, places, tmp_path
):
    await store(database_url, *TRICKY)
    path = tmp_path / "export.csv"

    assert await export(database_url, ExportFormat.CSV, path, places) == 4

    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + "Mã hồ sơ,".encode())
    header, *rows = csv_rows(path)
    assert header == HEADERS
    assert rows[0] == [
        "HT-T0001", "'=1+2", "0912340001", "0987654321", "Sơn La", "Phường Chiềng Sinh",
        "'@SUM(A1)", "Hộ cận nghèo", "Nokia 105", "Bị ảnh hưởng", "Điện thoại thông minh",
        "Người nhà", "Ông/bà", "Xã/phường đã kiểm tra", "2026-12-04 00:30", "2026-12-05 09:00",
        "Zalo",
    ]  # fmt: skip
    assert rows[1][:7] == ["HT-T0002", "Hà Thị Ngọc Ánh 🌾", "0912340002", "", "Sơn La",
                           "Phường Chiềng Sinh", "https://example.com/x"]  # fmt: skip
    assert (rows[2][1], rows[2][6]) == ("'-Lường Văn Pấng", "0123456789012345")
    assert (rows[3][1], rows[3][6]) == ("'+84 Quàng Thị Mến", "'\tBản Nà Pát\nTổ 3")
    assert [rows[3][i] for i in (7, 13, 16)] == ["new_kind", "paused", "Thử nghiệm"]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
async def test_a_neutralised_start_is_only_what_excel_would_run(writer, places, tmp_path):
    starts = ["=x", "+x", "-x", "@x", "\tx", "\rx", "\nx", "x=1", " =x", "'x", "0912", "_x0041_"]

    async def rows() -> AsyncIterator[Registration]:
        for number, start in enumerate(starts):
            yield Registration(**household(number, head_name=start))

    path = tmp_path / f"names.{writer.__name__[-4:]}"
    await writer(rows(), path, places=places, zone=ZONE)

    if writer is write_csv:
        names = [row[1] for row in csv_rows(path)[1:]]
        assert names == ["'" + start for start in starts[:7]] + starts[7:]
    else:  # XLSX cells are typed: nothing to neutralise, every text exactly as typed
        names = [as_excel_shows(row[1]) for row in sheet_rows(path)[1:]]
        assert names == starts


async def test_xlsx_text_goes_through_write_string_with_the_guards_on(
    places, tmp_path, monkeypatch
):
    """Two guards against a text turning into a formula or a link: typed writes only, and
    workbook options that would stop `write()` from guessing even if it were used."""
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    options: list[dict[str, object]] = []
    real_workbook = xlsxwriter.Workbook

    def recording_workbook(filename: str, given: dict[str, object]) -> xlsxwriter.Workbook:
        options.append(given)
        return real_workbook(filename, given)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a guessing or formula writer was used")

    monkeypatch.setattr(xlsxwriter, "Workbook", recording_workbook)
    for name in ("write", "write_row", "write_formula", "write_url", "write_number"):
        monkeypatch.setattr(Worksheet, name, refuse)

    async def rows() -> AsyncIterator[Registration]:
        yield Registration(**household(1, head_name='=HYPERLINK("http://x")'))

    assert await write_xlsx(rows(), tmp_path / "e.xlsx", places=places, zone=ZONE) == 1
    assert sheet_rows(tmp_path / "e.xlsx")[1][1] == '=HYPERLINK("http://x")'
    [given] = options
    assert given["constant_memory"] is True
    guards = ("strings_to_formulas", "strings_to_urls", "strings_to_numbers")
    assert [given[key] for key in guards] == [False, False, False]


@pytest.mark.parametrize("file_format", list(ExportFormat))
async def test_a_ward_scope_exports_none_of_another_wards_rows(
    database_url, places, tmp_path, file_format
):
    await store(
        database_url,
        household(1, ward_code=CHIENG_SINH),
        household(2, ward_code=CHIENG_AN),
        household(3, ward_code=MUONG_PHANG, province_code=11),
        household(4, ward_code=CHIENG_SINH),
    )
    path = tmp_path / f"export.{file_format}"
    read = csv_rows if file_format is ExportFormat.CSV else sheet_rows

    async def references(scope: Scope, chosen: RegistrationFilter | None = None) -> list[str]:
        count = await export(database_url, file_format, path, places, scope, chosen)
        found = [str(row[0]) for row in read(path)[1:]]
        assert count == len(found)
        return found

    assert await references(Scope(province_code=14, ward_code=CHIENG_SINH)) == [
        "HT-T0001", "HT-T0004",
    ]  # fmt: skip
    assert await references(Scope(province_code=14)) == ["HT-T0001", "HT-T0002", "HT-T0004"]
    assert await references(Scope.everywhere()) == [f"HT-T000{n}" for n in range(1, 5)]
    # A filter cannot widen the scope: asking for another ward gives nothing.
    assert (
        await references(Scope(ward_code=CHIENG_SINH), RegistrationFilter(ward_code=CHIENG_AN))
        == []
    )


@pytest.mark.parametrize("file_format", list(ExportFormat))
async def test_since_and_until_are_inclusive_local_dates(
    database_url, places, tmp_path, file_format
):
    await store(
        database_url,
        household(1, created_at=datetime(2026, 12, 2, 16, 59, tzinfo=UTC)),  # 2/12 23:59 local
        household(2, created_at=datetime(2026, 12, 2, 17, 0, tzinfo=UTC)),  # 3/12 00:00 local
        household(3, created_at=datetime(2026, 12, 4, 16, 59, 59, tzinfo=UTC)),  # 4/12 23:59
        household(4, created_at=datetime(2026, 12, 4, 17, 0, tzinfo=UTC)),  # 5/12 00:00 local
        household(5, created_at=datetime(2026, 12, 3, 5, 0, tzinfo=UTC), status="approved"),
    )
    path = tmp_path / f"export.{file_format}"
    read = csv_rows if file_format is ExportFormat.CSV else sheet_rows
    days = RegistrationFilter(since=date(2026, 12, 3), until=date(2026, 12, 4))

    await export(database_url, file_format, path, places, chosen=days)
    rows = read(path)[1:]
    assert [row[0] for row in rows] == ["HT-T0002", "HT-T0003", "HT-T0005"]
    first, last = (
        ("2026-12-03 00:00", "2026-12-04 23:59")
        if file_format is ExportFormat.CSV
        else (datetime(2026, 12, 3, 0, 0), datetime(2026, 12, 4, 23, 59, 59))
    )
    assert (rows[0][14], rows[1][14]) == (first, last)

    approved = RegistrationFilter(
        since=date(2026, 12, 3), until=date(2026, 12, 3), status="approved"
    )
    await export(database_url, file_format, path, places, chosen=approved)
    assert [row[0] for row in read(path)[1:]] == ["HT-T0005"]


async def test_an_empty_export_is_the_header_alone(database_url, places, tmp_path):
    await store(database_url, household(1, ward_code=CHIENG_AN))
    nowhere = Scope(ward_code=CHIENG_SINH)

    assert await export(database_url, ExportFormat.XLSX, tmp_path / "e.xlsx", places, nowhere) == 0
    assert await export(database_url, ExportFormat.CSV, tmp_path / "e.csv", places, nowhere) == 0

    assert sheet_rows(tmp_path / "e.xlsx") == [HEADERS]
    assert openpyxl.load_workbook(tmp_path / "e.xlsx").active.auto_filter.ref == "A1:Q1"
    assert csv_rows(tmp_path / "e.csv") == [HEADERS]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
async def test_an_export_that_fails_half_way_leaves_no_file(writer, places, tmp_path):
    async def rows() -> AsyncIterator[Registration]:
        yield Registration(**household(1))
        yield Registration(**household(2))
        raise ConnectionError("the database went away")

    path = tmp_path / "export.out"
    with pytest.raises(ConnectionError):
        await writer(rows(), path, places=places, zone=ZONE)
    assert not path.exists()
