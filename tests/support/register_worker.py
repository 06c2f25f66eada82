"""A process that fills the registration form for N households up to the summary, waits
for a shared moment, then presses "Gửi" for each: two of them on one PostgreSQL database
race to register the same households. Prints one JSON object: household → outcome.

    python -m tests.support.register_worker DATABASE_URL LOCALES_DIR PREFIX COUNT START_AT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import date
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from tests.support.chat import Chat
from tests.support.registration import fill


def phone_of(household: int) -> str:
    """The contact phone of household `household` (the same in every worker)."""
    return f"09123{household:05d}"


async def main(url: str, locales: str, prefix: str, count: int, start_at: float) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        locales_dir=Path(locales),
        bot_today=date(2026, 12, 3),
        cache_dir=None,
    )
    app = build_app(settings)
    try:
        chats = [Chat(app, user_id=f"{prefix}-{i}", channel=prefix) for i in range(count)]
        for household, chat in enumerate(chats):
            await fill(chat, phone=phone_of(household))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        outcomes = {}
        for household, chat in enumerate(chats):
            await chat.send("Gửi", payload="form:reg:confirm")
            if "hồ sơ đã được gửi" in chat.text:
                outcomes[household] = "created"
            elif "một tài khoản khác" in chat.text:
                outcomes[household] = "other"
            else:
                outcomes[household] = chat.text[:200]
        print(json.dumps({"errors": app.runner.errors, "outcomes": outcomes}))
    finally:
        await app.aclose()


if __name__ == "__main__":
    url, locales, prefix, count, start_at = sys.argv[1:6]
    asyncio.run(main(url, locales, prefix, int(count), float(start_at)))
