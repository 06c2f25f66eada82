"""`bot staff`, `bot export registrations`, `bot outbox list` and `bot audit list`, as an
operator runs them: staff bootstrapped and invited, an export limited to a staff member's
commune and read back from the file, the outbox and the audit log after each step."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import cli
from bot.core.access import Role
from bot.services.casework import CaseworkService
from bot.services.places import Places
from bot.services.registrations import HouseholdDetails, RegistrationService
from bot.services.staff import StaffService
from db.models import StaffInvite, User
from db.session import make_engine, make_sessionmaker
from tests.support.staff import CHIENG_SINH, SON_LA, TO_HIEU

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    return sqlite_url


def bot(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def seed(url: str, households: list[tuple[str, int, str]]) -> list[str]:
    """Registrations (name, commune, phone) made by Telegram citizens; their references."""

    async def run() -> list[str]:
        engine = make_engine(url)
        references = []
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                for number, (name, ward, phone) in enumerate(households):
                    user = User(channel="telegram", external_id=f"9{number}", locale="vi",
                                address=f"9{number}")  # fmt: skip
                    session.add(user)
                    await session.flush()
                    details = HouseholdDetails(
                        registrant="self", relation=None, head_name=name, contact_phone=phone,
                        old_phone=None, province_code=SON_LA, ward_code=ward, village="Bản Hụm",
                        category="poor", device_name=None, device_verdict=None,
                        help_wanted="smartphone",
                    )  # fmt: skip
                    made = await RegistrationService(session).submit(
                        user_id=user.id, channel="telegram", details=details,
                        consent_given_at=datetime.now(UTC),
                    )  # fmt: skip
                    assert made.registration is not None
                    references.append(made.registration.reference)
        finally:
            await engine.dispose()
        return references

    return asyncio.run(run())


def test_staff_are_added_invited_listed_and_removed_with_an_audit_trail(database):
    code, out, err = bot("staff", "add", "--channel", "telegram", "--id", "111",
                         "--role", "admin", "--province", "14")  # fmt: skip
    assert code == 0, err
    assert out.startswith("Staff member 1: telegram:111, admin, Sơn La (14)")
    code, _out, err = bot("staff", "add", "--channel", "telegram", "--id", "111",
                          "--role", "viewer", "--province", "14")  # fmt: skip
    assert (code, err.strip()) == (2, "Error: this chat account is a staff member already")
    code, _out, err = bot("staff", "add", "--channel", "zalo", "--id", "9", "--role", "officer")
    assert code == 2 and "--province or --ward" in err and len(err.strip().splitlines()) == 1
    code, _out, err = bot("staff", "add", "--channel", "zalo", "--id", "9", "--role", "officer",
                          "--ward", "999999")  # fmt: skip
    assert code == 2 and "--ward: no commune or ward has this code" in err
    code, out, err = bot("staff", "invite", "--role", "officer", "--ward", str(CHIENG_SINH))
    assert code == 0, err
    [invitation] = re.findall(r"/staff ([A-Z0-9]{4}-[A-Z0-9]{4})", out)
    code, out, _err = bot("staff", "list")
    assert "telegram:111" in out and "Sơn La (14)" in out
    code, _out, err = bot("staff", "remove", "1")
    assert code == 2 and "last admin" in err
    code, out, _err = bot("staff", "add", "--channel", "zalo", "--id", "9", "--role", "viewer",
                          "--ward", str(TO_HIEU))  # fmt: skip
    assert bot("staff", "remove", "2")[0] == 0
    code, out, _err = bot("staff", "list")
    assert "zalo:9" not in out
    code, out, _err = bot("audit", "list", "--action", "staff.")
    assert [line.split("│")[4].strip() for line in out.splitlines() if "│ staff." in line] == [
        "staff.removed",
        "staff.added",
        "staff.invited",
        "staff.added",
    ]

    async def stored() -> list[str]:
        engine = make_engine(database)
        try:
            async with make_sessionmaker(engine)() as session:
                return list(await session.scalars(select(StaffInvite.code_hash)))
        finally:
            await engine.dispose()

    [hashed] = asyncio.run(stored())
    assert invitation not in hashed and invitation.replace("-", "") not in hashed


def test_an_export_as_an_officer_holds_only_their_commune(database, tmp_path):
    seed(
        database,
        [
            ('=HYPERLINK("http://x")', CHIENG_SINH, "+84912000001"),
            ("Lò Thị Mai 🌾", CHIENG_SINH, "+84912000002"),
            ("Cầm Văn Nga", TO_HIEU, "+84912000003"),
        ],
    )
    bot("staff", "add", "--channel", "telegram", "--id", "5", "--role", "officer",
        "--ward", str(CHIENG_SINH))  # fmt: skip
    target = tmp_path / "chieng-sinh.xlsx"
    code, out, err = bot("export", "registrations", "--format", "xlsx", "-o", str(target),
                         "--as-staff", "1")  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"2 registrations written to {target}"
    assert target.stat().st_mode & 0o077 == 0  # the owner only
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Mã hồ sơ", "Họ và tên chủ hộ", "Số điện thoại")
    names = [row[1] for row in rows[1:]]
    assert names == ['=HYPERLINK("http://x")', "Lò Thị Mai 🌾"]
    assert sheet.cell(row=2, column=2).data_type == "s"  # text, not a formula
    assert [row[2] for row in rows[1:]] == ["0912000001", "0912000002"]
    assert all("Tô Hiệu" not in str(cell) for row in rows for cell in row)
    # Asking for another commune as that officer writes nothing at all.
    other = tmp_path / "to-hieu.csv"
    code, _out, err = bot("export", "registrations", "--format", "csv", "-o", str(other),
                          "--ward", str(TO_HIEU), "--as-staff", "1")  # fmt: skip
    assert code == 2 and "outside the area of staff member 1" in err and not other.exists()
    # The operator (no --as-staff) exports the other commune as CSV, safe for Excel.
    code, _out, err = bot("export", "registrations", "--format", "csv", "-o", str(other),
                          "--ward", str(TO_HIEU))  # fmt: skip
    assert code == 0, err
    assert other.read_bytes().startswith(b"\xef\xbb\xbf")
    with other.open(encoding="utf-8-sig", newline="") as handle:
        [header, row] = list(csv.reader(handle))
    assert (header[1], row[1], row[2]) == ("Họ và tên chủ hộ", "Cầm Văn Nga", "0912000003")
    code, out, _err = bot("audit", "list", "--action", "registrations.exported")
    exports = [line for line in out.splitlines() if "registrations.exp" in line]
    assert len(exports) == 2  # the refused one is not an export
    assert '"rows": 2' in out and '"rows": 1' in out and '"ward": 3646' in out


def test_a_status_change_is_in_the_outbox_and_the_audit_log(database):
    [reference] = seed(database, [("Lò Văn Huy", CHIENG_SINH, "+84912000009")])

    async def change() -> None:
        engine = make_engine(database)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                staff = await StaffService(session, Places()).add(
                    channel="telegram", external_id="7", role=Role.OFFICER, province_code=SON_LA
                )
                await CaseworkService(session, ZONE).change_status(staff, reference, "verified")
        finally:
            await engine.dispose()

    asyncio.run(change())
    code, out, _err = bot("outbox", "list", "--kind", "status")
    assert code == 0 and out.startswith("Totals: pending 1")
    assert "│ status │ telegram" in out and "│ pending" in out
    code, out, _err = bot("outbox", "list", "--status", "unknown")
    assert out.strip() == "Totals: pending 1"
    code, _out, err = bot("outbox", "list", "--status", "lost")
    assert code == 2 and "--status" in err
    code, out, _err = bot("audit", "list")
    assert "registration.status_changed" in out and reference in out


def test_a_login_link_for_the_web_console_works_once(database, monkeypatch):
    monkeypatch.setenv("WEB_BASE_URL", "https://canbo.example.vn/")
    assert bot("staff", "add", "--channel", "telegram", "--id", "42", "--role", "admin")[0] == 0
    code, out, err = bot("staff", "login-link", "1")
    assert code == 0, err
    [link] = out.split()
    assert link.startswith("https://canbo.example.vn/console/login/")
    assert "Works once, within 10 minutes" in err
    code, _out, err = bot("staff", "login-link", "7")
    assert code != 0 and "no staff member has this id" in err

    async def use(token: str) -> list[bool]:
        from bot.services.web_access import WebAccessService

        engine = make_engine(database)
        try:
            used = []
            for _ in range(2):
                async with make_sessionmaker(engine)() as session, session.begin():
                    signed = await WebAccessService(session).sign_in(token, hours=1)
                    used.append(signed is not None)
            return used
        finally:
            await engine.dispose()

    assert asyncio.run(use(link.rsplit("/", 1)[1])) == [True, False]
