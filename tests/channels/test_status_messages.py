"""Status messages go out through the one outbound path: a staff member's change reaches the
citizen on the fake Telegram server exactly once, also when `bot run` (its sender) is killed
with SIGKILL in the middle and started again; a citizen who blocked the bot is marked
unreachable and the registration says so."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.casework import CaseworkService
from bot.services.registrations import HouseholdDetails, RegistrationService
from db.models import OutboxMessage, User
from db.session import make_engine, make_sessionmaker
from tests.support import fake_telegram
from tests.support.processes import BotProcess, free_port, sender_env, wait_until
from tests.support.servers import serving
from tests.support.staff import CHIENG_SINH, SON_LA, add_staff

pytestmark = [pytest.mark.db, pytest.mark.slow]
CITIZENS = 60
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def household(number: int) -> HouseholdDetails:
    return HouseholdDetails(
        registrant="self",
        relation=None,
        head_name=f"Lò Văn {number}",
        contact_phone=f"+8491200{number:04d}",
        old_phone=None,
        province_code=SON_LA,
        ward_code=CHIENG_SINH,
        village="Bản Hụm",
        category="poor",
        device_name=None,
        device_verdict=None,
        help_wanted="keypad4g",
    )


async def registered_and_verified(url: str, staff) -> list[str]:
    """CITIZENS Telegram users (chat ids 7000…), each with a registration that `staff` then
    marks as checked: one status message each waits in the outbox. Their references."""
    engine = make_engine(url)
    references = []
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for number in range(CITIZENS):
                user = User(
                    channel="telegram",
                    external_id=str(7000 + number),
                    locale="vi",
                    address=str(7000 + number),
                )
                session.add(user)
                await session.flush()
                made = await RegistrationService(session).submit(
                    user_id=user.id,
                    channel="telegram",
                    details=household(number),
                    consent_given_at=datetime.now(UTC),
                )
                assert made.registration is not None
                references.append(made.registration.reference)
        async with make_sessionmaker(engine)() as session, session.begin():
            casework = CaseworkService(session, ZONE)
            for reference in references:
                change = await casework.change_status(staff, reference, "verified")
                assert change.outcome.value == "changed"
    finally:
        await engine.dispose()
    return references


async def status_rows(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                select(OutboxMessage.address, OutboxMessage.status).where(
                    OutboxMessage.kind == "status"
                )
            )
            return [(address, status) for address, status in found]
    finally:
        await engine.dispose()


async def test_status_messages_arrive_once_across_a_kill_of_the_sender(
    make_app, database_url, tmp_path, locales_dir, bot_cache_dir
):
    app = make_app(database_url)
    staff = await add_staff(app, "officer", "officer", province=SON_LA)
    references = await registered_and_verified(database_url, staff)
    fake = fake_telegram.FakeTelegram()
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        port = free_port()
        env = sender_env(
            tmp_path, locales_dir, bot_cache_dir, database_url, fake, port,
            TELEGRAM_SENDS_PER_SECOND="15",  # slow enough to kill it half-way
            OUTBOX_LEASE_SECONDS="1",
        )  # fmt: skip
        await BotProcess.killed_when(
            env,
            tmp_path / "first.log",
            port,
            lambda: len(fake.sent) >= CITIZENS // 3,
            "the first messages",
        )
        sent_at_kill = len(fake.sent)
        assert sent_at_kill < CITIZENS, "the kill came after every message"
        again = await BotProcess.start(env, tmp_path / "second.log")
        try:
            await wait_until(
                lambda: len({m["chat_id"] for m in fake.sent}) >= CITIZENS - 16, 60, "the rest"
            )
            await asyncio.sleep(2.5)  # leases of the killed process run out
        finally:
            assert await again.stop() == 0, again.log_tail()
    per_chat = Counter(m["chat_id"] for m in fake.sent)
    assert max(per_chat.values()) == 1, "a status message was sent twice"
    rows = await status_rows(database_url)
    assert len(rows) == CITIZENS and {s for _a, s in rows} <= {"sent", "unknown"}
    unknown = {int(a) for a, s in rows if s == "unknown"}
    missing = {7000 + n for n in range(CITIZENS)} - set(per_chat)
    assert missing <= unknown, "a message never sent is not recorded as unknown"
    texts = [m["text"] for m in fake.sent]
    assert all(t.startswith("Hồ sơ HT-") and "xã/phường đã kiểm tra" in t for t in texts)
    assert {t.split(":")[0].removeprefix("Hồ sơ ") for t in texts} <= set(references)
    print(f"status messages: {sent_at_kill} sent at the kill, {len(unknown)} unknown")


async def test_a_citizen_who_blocked_the_bot_is_shown_as_unreachable(
    make_app, sqlite_url, tmp_path, locales_dir, bot_cache_dir
):
    app = make_app(sqlite_url)
    staff = await add_staff(app, "officer", "officer", province=SON_LA)
    [reference, *_rest] = await registered_and_verified(sqlite_url, staff)
    fake = fake_telegram.FakeTelegram()
    fake.blocked_chats.add(7000)
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        port = free_port()
        env = sender_env(tmp_path, locales_dir, bot_cache_dir, sqlite_url, fake, port)
        bot = await BotProcess.start(env, tmp_path / "bot.log")
        try:
            await bot.wait_healthy(port)
            await wait_until(lambda: len(fake.sent) >= CITIZENS - 1, 60, "the messages")
            await asyncio.sleep(1)
        finally:
            assert await bot.stop() == 0, bot.log_tail()
    assert 7000 not in {m["chat_id"] for m in fake.sent}
    engine = make_engine(sqlite_url)
    try:
        async with make_sessionmaker(engine)() as session:
            case = await CaseworkService(session, ZONE).open(staff, reference)
    finally:
        await engine.dispose()
    assert case is not None and case.citizen_unreachable and case.last_message == "blocked"
