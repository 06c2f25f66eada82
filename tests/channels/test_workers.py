"""Two `bot run` processes on one PostgreSQL database, in webhook mode: the database is the
coordinator (a form started on one worker continues on the other; a redelivery reaching both
is handled once; nothing is lost, even when one of them is killed)."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx
import pytest
from sqlalchemy import select

from db.models import OutboxMessage
from db.session import make_engine
from tests.support.fake_zalo import TOKEN, FakeZalo
from tests.support.processes import BotProcess, bot_env, free_port
from tests.support.servers import serving

pytestmark = [pytest.mark.db, pytest.mark.slow]


async def unknown_addresses(url: str) -> set[str]:
    """Addresses with a message whose send was in flight when its worker died."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            query = select(OutboxMessage.address).where(OutboxMessage.status == "unknown")
            return set((await connection.execute(query)).scalars())
    finally:
        await engine.dispose()


SECRET = "two-workers-secret"


async def test_two_workers_share_one_postgresql(
    postgres_database, tmp_path, locales_dir, bot_cache_dir
):
    postgres_database.truncate()
    fake = FakeZalo()
    async with serving(fake.app()) as zalo_url:
        ports = [free_port(), free_port()]
        workers = []
        for port in ports:
            env = bot_env(
                tmp_path,
                locales_dir,
                DATABASE_URL=postgres_database.url,
                ZALO_BOT_TOKEN=TOKEN,
                ZALO_BASE_URL=zalo_url,
                ZALO_WEBHOOK_URL=f"http://127.0.0.1:{port}/zalo/webhook",
                ZALO_WEBHOOK_SECRET=SECRET,
                HTTP_PORT=str(port),
                CACHE_DIR=str(bot_cache_dir),
                OUTBOX_LEASE_SECONDS="1",
            )
            workers.append(await BotProcess.start(env, tmp_path / f"worker-{port}.log"))
        try:
            for port, worker in zip(ports, workers, strict=True):
                await worker.wait_healthy(port)
            hooks = [f"http://127.0.0.1:{port}/zalo/webhook" for port in ports]
            headers = {"X-Bot-Api-Secret-Token": SECRET}
            async with httpx.AsyncClient() as client:
                # A form begun on worker 1 continues on worker 2.
                await client.post(hooks[0], json=fake.update("p1", "/kiemtra"), headers=headers)
                await fake.wait_for_messages("p1", 1)
                await client.post(hooks[1], json=fake.update("p1", "nokia 1280"), headers=headers)
                texts = await fake.wait_for_messages("p1", 2)
                assert "Máy Nokia 1280 chỉ dùng được sóng 2G." in texts[1]
                # The same update delivered to both workers at once is handled once.
                duplicate = fake.update("p2", "xin chào", message_id="dup0000000000000001")
                await asyncio.gather(
                    *(client.post(hook, json=duplicate, headers=headers) for hook in hooks)
                )
                # Many messages of many people spread over both workers: none is lost.
                bursts = [
                    client.post(
                        hooks[i % 2],
                        json=fake.update(f"m{i % 5}", "khi nao tat 2g"),
                        headers=headers,
                    )
                    for i in range(20)
                ]
                await asyncio.gather(*bursts)
                for person in range(5):
                    await fake.wait_for_messages(f"m{person}", 4, timeout=30)
                await asyncio.sleep(1)
                assert len(fake.texts_to("p2")) == 1
                assert sum(len(fake.texts_to(f"m{p}")) for p in range(5)) == 20
                # Worker 1 takes a burst and is killed: worker 2 answers what it stored.
                burst = [fake.update(f"k{i}", "khi nao tat 2g") for i in range(40)]
                answers = await asyncio.gather(
                    *(client.post(hooks[0], json=u, headers=headers) for u in burst)
                )
                assert {a.status_code for a in answers} == {200}
                os.kill(workers[0].process.pid, signal.SIGKILL)
                await workers[0].process.wait()
                await asyncio.sleep(5)  # leases of the killed worker run out (1 s)
                for _ in range(100):
                    unknown = await unknown_addresses(postgres_database.url)
                    waiting = [
                        i
                        for i in range(40)
                        if not fake.texts_to(f"k{i}") and f"k{i}" not in unknown
                    ]
                    if not waiting:
                        break
                    await asyncio.sleep(0.3)
            assert waiting == [], (waiting, workers[1].log_tail())
            assert all(len(fake.texts_to(f"k{i}")) <= 1 for i in range(40))
        finally:
            code = await workers[1].stop()
        assert code == 0, workers[1].log_tail()
