"""The registration form under load: simulated users fill the whole form at once through the
real turn runner, next to users who only open the menu, in the same run; prints one JSON
object.

Per database (SQLite, and PostgreSQL when --postgres-url or TEST_DATABASE_URL is given; a
throwaway database, dropped afterwards):
- `<db>_form_turns`, `<db>_form_turns_per_second`: the turns of `users` people, each filling
  the form from "/dangky" to "Gửi" (13 turns), all at once; turns/s over the whole phase.
- `<db>_form_turn_p50/p99_ms`: the time a form turn takes once it holds a database slot
  (`TurnTiming.worked_seconds`, the runner's own measure); `<db>_menu_turn_p50/p99_ms`: the
  same for "/menu" turns of `menu_users` people sending it over and over during the phase.
- `<db>_form_over_menu_p50/p99`: the ratio of the two (goal: at most 1.5).
- `<db>_form_wait_p99_ms`: the time a turn waited for its slot (grows with the crowd).
- `<db>_registrations`: rows stored at the end (must equal `users`), `<db>_turn_errors`.

Usage: .venv/bin/python bench/registration.py [--users 500] [--menu-users 50]
       [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inbound import compile_catalogs, postgres_database  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.runner import TurnTiming  # noqa: E402
from db import migrate  # noqa: E402
from db.models import Registration  # noqa: E402
from tests.support.chat import Chat  # noqa: E402
from tests.support.registration import fill  # noqa: E402

CACHE_DIR = ROOT / "var" / "cache"  # shared, so the question matcher is trained once
GOALS = {"form_turn_p99_ms": 50, "form_over_menu": 1.5}


def _ms(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


async def _registrant(app: Any, number: int) -> None:
    chat = Chat(app, user_id=f"form-{number}", channel="form")
    await fill(chat, name="Lò Văn Huy", phone=f"0912{number:06d}", village=f"Bản {number}")
    await chat.press("Gửi")
    if "hồ sơ đã được gửi" not in chat.text:
        raise RuntimeError(f"registration {number} not sent: {chat.text[:200]}")


async def _menu_user(app: Any, number: int, done: asyncio.Event) -> None:
    chat = Chat(app, user_id=f"menu-{number}", channel="menu")
    while not done.is_set():
        await chat.send("/menu")


async def run(database_url: str, locales: Path, args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(migrate.upgrade, database_url)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        locales_dir=locales,
        bot_today=date(2026, 12, 3),
        cache_dir=CACHE_DIR,
    )
    app = build_app(settings)
    timings: list[TurnTiming] = []
    try:
        await Chat(app, user_id="warm-up").send("/menu")  # the matcher and catalogs loaded
        app.runner.observe_timings(timings.append)
        done = asyncio.Event()
        menus = [asyncio.create_task(_menu_user(app, n, done)) for n in range(args.menu_users)]
        started = time.perf_counter()
        await asyncio.gather(*(_registrant(app, n) for n in range(args.users)))
        elapsed = time.perf_counter() - started
        done.set()
        await asyncio.gather(*menus)
        async with app.runner.sessionmaker() as session:
            stored = await session.scalar(select(func.count()).select_from(Registration))
        errors = app.runner.errors
    finally:
        await app.aclose()
    form = [t.worked_seconds for t in timings if t.channel == "form"]
    menu = [t.worked_seconds for t in timings if t.channel == "menu"]
    wait = [t.waited_seconds for t in timings if t.channel == "form"]
    return {
        "form_turns": len(form),
        "form_turns_per_second": round(len(form) / elapsed, 1),
        "form_turn_p50_ms": _ms(form, 0.5),
        "form_turn_p99_ms": _ms(form, 0.99),
        "form_turn_mean_ms": round(statistics.fmean(form) * 1000, 2),
        "menu_turns": len(menu),
        "menu_turn_p50_ms": _ms(menu, 0.5),
        "menu_turn_p99_ms": _ms(menu, 0.99),
        "form_over_menu_p50": round(_ms(form, 0.5) / _ms(menu, 0.5), 2) if menu else None,
        "form_over_menu_p99": round(_ms(form, 0.99) / _ms(menu, 0.99), 2) if menu else None,
        "form_wait_p99_ms": _ms(wait, 0.99),
        "phase_seconds": round(elapsed, 1),
        "registrations": stored,
        "turn_errors": errors,
    }


async def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "users": args.users,
        "menu_users": args.menu_users,
        **{f"goal_{key}": value for key, value in GOALS.items()},
    }
    with tempfile.TemporaryDirectory() as folder:
        locales = compile_catalogs(Path(folder) / "locales")

        @contextlib.contextmanager
        def sqlite() -> Iterator[str]:
            yield f"sqlite:///{folder}/registration.db"

        databases = [("sqlite", sqlite)]
        if args.postgres_url:
            databases.append(("postgresql", lambda: postgres_database(args.postgres_url)))
        for label, urls in databases:
            with urls() as url:
                for key, value in (await run(url, locales, args)).items():
                    report[f"{label}_{key}"] = value
    print(json.dumps(report))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500, help="people filling the form")
    parser.add_argument("--menu-users", type=int, default=50, help="people opening the menu")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_parse()))
