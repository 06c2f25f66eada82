"""One household, one record, under concurrency on PostgreSQL: the database constraint, not
a check before the insert, decides; the second person is told about the first."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.services.registrations import HouseholdDetails, Outcome, RegistrationService
from db.models import Consent, Registration
from db.repositories.users import UserRepository
from db.session import make_engine, make_sessionmaker
from tests.support.register_worker import phone_of

pytestmark = pytest.mark.db
HOUSEHOLDS = 25


def household(**changes) -> HouseholdDetails:
    values = dict(
        registrant="self", relation=None, head_name="Lò Văn Huy", contact_phone="+84912345678",
        old_phone=None, province_code=14, ward_code=3679, village="Bản Hụm", category="poor",
        device_name=None, device_verdict=None, help_wanted="keypad4g",
    )  # fmt: skip
    values.update(changes)
    return HouseholdDetails(**values)


@pytest.fixture
def postgres_url(postgres_database) -> str:
    postgres_database.truncate()
    return postgres_database.url


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_submission_racing_an_uncommitted_one_is_told_about_it(postgres_url):
    engine = make_engine(postgres_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            users = UserRepository(session)
            first_user = await users.get_or_create(channel="telegram", external_id="1", locale="vi")
            second_user = await users.get_or_create(channel="zalo", external_id="2", locale="vi")
            ids = first_user.id, second_user.id
        now = datetime.now(UTC)
        async with sessionmaker() as first, sessionmaker() as second:
            await first.begin()
            await second.begin()
            made = await RegistrationService(first).submit(
                user_id=ids[0], channel="telegram", details=household(), consent_given_at=now
            )
            assert made.outcome is Outcome.CREATED  # inserted, not committed yet
            racing = asyncio.create_task(
                RegistrationService(second).submit(
                    user_id=ids[1], channel="zalo", details=household(), consent_given_at=now
                )
            )
            await asyncio.sleep(0.5)
            assert not racing.done()  # it saw no registration, and waits on the unique index
            await first.commit()
            told = await racing
            await second.commit()
        assert told.outcome is Outcome.DUPLICATE_OTHER
        assert told.registration is not None
        assert told.registration.reference == made.registration.reference
        assert await count(sessionmaker, Registration) == 1
        assert await count(sessionmaker, Consent) == 1  # the second consent was not kept
    finally:
        await engine.dispose()


async def test_two_processes_registering_the_same_households_make_one_record_each(
    postgres_url, locales_dir, tmp_path
):
    start_at = time.time() + 25  # both have filled their forms by then
    args = [postgres_url, str(locales_dir), "", str(HOUSEHOLDS), str(start_at)]
    workers = []
    for prefix in ("telegram", "zalo"):
        args[2] = prefix
        workers.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.support.register_worker",
                *args,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    results = []
    for worker in workers:
        out, err = await asyncio.wait_for(worker.communicate(), timeout=240)
        assert worker.returncode == 0, err.decode()[-3000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    assert [r["errors"] for r in results] == [0, 0]
    for number in range(HOUSEHOLDS):
        said = sorted(r["outcomes"][str(number)] for r in results)
        assert said == ["created", "other"], (number, said)
    engine = make_engine(postgres_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            phones = (await session.scalars(select(Registration.contact_phone))).all()
        assert sorted(phones) == sorted(f"+84{phone_of(n)[1:]}" for n in range(HOUSEHOLDS))
        assert await count(sessionmaker, Consent) == HOUSEHOLDS
    finally:
        await engine.dispose()
