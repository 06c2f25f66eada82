"""The staff web console's registration pages over real HTTP, against 100,000 registrations;
prints one JSON object (progress goes to standard error).

Per database (SQLite in a temporary folder always; PostgreSQL too with --postgres-url or
TEST_DATABASE_URL: a throwaway database, dropped afterwards): migrated, then filled in bulk
(SQLAlchemy Core, the approach of bench/export.py; `fill_seconds`): `rows` registrations of
province 14 (Sơn La) over eight communes of unequal size, with Vietnamese names, +84 phone
numbers, several statuses and categories, created over the last 60 days (ids in the order
of creation), one consent each, a history (`registration_events`) that leads to each status,
and the chat users they came from. On PostgreSQL the tables are then vacuumed and analysed,
as autovacuum would do within a minute of such a load; SQLite gets no ANALYZE (the bot
never runs one); `fill_seconds` includes that. One admin of province 14 is added and gets
a sign-in link.

`bot run` then serves the console (its own process, with the fake Telegram Bot API of
tests/support/fake_telegram.py in another; quiet hours off). One keep-alive httpx client
signs in with the link (POST /console/login, cookie `console_session`) and sends, per page,
a few warm-up requests, then `requests` GETs one after another; each is timed with
time.perf_counter around `client.get` (server time plus loopback):

- `list_first`: /console/registrations, the newest 50 of the whole province;
- `list_filtered`: status=verified, the largest commune, and `q` = a family name that
  matches a few hundred of those rows (`filter` gives the values and the expected count);
- `list_deep`: a page near the end, `before` = the smallest id + 60 (keyset paging);
- `detail`: /console/registrations/<reference> of ~200 random registrations, in turn.

Every answer must be 200, a list must show rows and the total the fill implies, a detail
page its reference; the bench stops at the first that does not. Per page: `p50_ms`,
`p95_ms` and `bytes` (median size of the answers). `healthz`: the same figures for
/healthz, measured the same way first: the floor of any answer of `bot run` over this
client (no page, one small database query), not part of the goals. It was ~44 ms when this
bench was written: bot/server.py made its listening sockets with socket.create_server
(proto 0), so asyncio did not set TCP_NODELAY on the connections, and each answer's body
waited for the client's delayed ACK; the listening sockets now carry TCP_NODELAY (about
1 ms since).

`deep_vs_first_p95` = list_deep p95 / list_first p95. `goals_met`: every page's p95 under
200 ms, and list_deep no slower than list_first at p95, with a 10 % tolerance (the ratio at
most 1.1): keyset paging should cost the same however deep the page. `load_at_start`: the
machine's 1-minute load when the bench began (other work slows every figure down).

Usage: .venv/bin/python bench/console.py [--rows 100000] [--requests 200] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from broadcast import TOKEN, fake_server  # noqa: E402
from export import (  # noqa: E402
    CATEGORIES,
    CHANNELS,
    CHUNK,
    HELP,
    REGISTRANTS,
    USERS,
    VERDICTS,
    _reference,
)
from inbound import (  # noqa: E402
    CACHE_DIR,
    BotProcess,
    _free_port,
    _stop,
    compile_catalogs,
    postgres_database,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.core.access import StaffIdentity

PROVINCE = 14  # Sơn La
COMMUNE_SHARES = (30, 20, 15, 10, 8, 7, 5, 5)  # % of the rows in each of eight communes
DAYS = 60
SEED = 20261208
STATUS_SHARES = {"submitted": 30, "verified": 25, "approved": 20, "rejected": 6,
                 "handed_over": 14, "withdrawn": 5}  # fmt: skip
# How each status was reached: (from, to, who); "staff" steps are the bench admin's.
HISTORY = {
    "submitted": (),
    "verified": (("submitted", "verified", "staff"),),
    "approved": (("submitted", "verified", "staff"), ("verified", "approved", "staff")),
    "rejected": (("submitted", "rejected", "staff"),),
    "handed_over": (("submitted", "verified", "staff"), ("verified", "approved", "staff"),
                    ("approved", "handed_over", "staff")),
    "withdrawn": (("submitted", "withdrawn", "citizen"),),
}  # fmt: skip
REJECTION = "Gia đình đã có điện thoại 4G, không thuộc diện hỗ trợ."
FAMILIES = {"Lò": 12, "Quàng": 8, "Cầm": 7, "Lường": 8, "Tòng": 5, "Vì": 5, "Hà": 6,
            "Điêu": 3, "Bạc": 3, "Mùa": 5, "Sùng": 5, "Giàng": 5, "Thào": 4, "Nguyễn": 10,
            "Đinh": 4, "Hoàng": 4, "Lê": 3, "Trần": 3}  # fmt: skip
MIDDLE_MALE = ("Văn", "Văn", "Văn", "Văn", "A", "Đức", "Công")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị Thu", "Thị Hồng")
GIVEN_MALE = ("Huy", "Sơn", "Ánh", "Pấng", "Tuấn", "Páo", "Chinh", "Dũng", "Thắng", "Hùng",
              "Minh", "Lả", "Chứ", "Pó", "Khánh", "Xuân", "Tiến", "Nam", "Chá", "Dua")  # fmt: skip
GIVEN_FEMALE = ("Mến", "Ngọc", "Dung", "Nhung", "Hồng", "Lan", "Hoa", "Thoa", "Mai", "Páy",
                "Dợ", "Bua", "Ín", "Xuân", "Hương", "Thủy", "Mỷ", "Dậu")  # fmt: skip
PHONE_PREFIXES = ("91", "94", "88", "98", "97", "96", "86", "35", "36", "37", "38", "39", "33",
                  "34", "83", "84", "85", "81", "82", "70", "76", "77", "78", "79")  # fmt: skip
VILLAGES = ("Bản Hụm", "Bản Cọ", "Tổ 3", "Bản Nà Pát", "Bản Lả Mường", "Tiểu khu 5",
            "Bản Hìn", "Bản Phiêng Ngùa", "Tổ 12", "Bản Có Nàng")  # fmt: skip
DEVICES = (None, None, "Nokia 105 (2019)", "Nokia 1280", "itel it2160", "Masstel Izi 10")
FILTER_STATUS = "verified"
TARGET_MATCHES = 300  # rows the filtered list should match ("a few hundred")
DEEP_OFFSET = 60  # list_deep: before = the smallest id + this
DETAIL_REFERENCES = 200
WARMUP = 5
PAGE_ROWS = 50  # bot/web/console/registrations.py PAGE_SIZE
GOAL_P95_MS = 200
DEEP_TOLERANCE = 1.1  # list_deep p95 may be up to 10 % above list_first p95
LISTED = "hồ sơ khớp bộ lọc"
TOTAL = re.compile(r'id="total">([\d.]+) ' + LISTED)
ROW_LINK = '<td><a href="/console/registrations/HT-'


def _say(message: str) -> None:
    """Progress, on standard error."""
    print(f"[console bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- filling


@dataclass(frozen=True, slots=True)
class Filled:
    """What the fill wrote that the requests need."""

    seconds: float
    first_id: int
    references: list[str]
    ward: int  # the largest commune: the filtered list's
    query: str  # a family name matching a few hundred verified rows of that commune
    query_matches: int


def _sync_engine(url: str) -> Engine:
    """A synchronous engine on the database (psycopg for PostgreSQL), as bench/export.py."""
    from sqlalchemy import create_engine

    from db.session import async_url

    sync_url = async_url(url).set(
        drivername="sqlite" if url.startswith("sqlite") else "postgresql+psycopg"
    )
    return create_engine(sync_url)


def _communes(rng: random.Random) -> list[int]:
    """Eight communes of Sơn La, the largest first."""
    from bot.services.places import Places

    codes = [place.code for place in Places().wards_of(PROVINCE)]
    return rng.sample(codes, len(COMMUNE_SHARES))


def _name(rng: random.Random) -> str:
    family = rng.choices(list(FAMILIES), weights=list(FAMILIES.values()))[0]
    if rng.random() < 0.5:
        return f"{family} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"
    return f"{family} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"


def _phone(rng: random.Random, n: int) -> str:
    """A +84 mobile number; unique per n (the last seven digits are a bijection of n)."""
    return f"+84{rng.choice(PHONE_PREFIXES)}{(n * 7919 + 1_234_567) % 10_000_000:07d}"


def _household(
    rng: random.Random, n: int, at: datetime, ward: int, user_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Registration number `n` (id n + 1) and its consent."""
    from bot.core.text import fold

    registrant, relation = REGISTRANTS[rng.randrange(len(REGISTRANTS))]
    channel = CHANNELS[user_id % len(CHANNELS)]
    name = _name(rng)
    status = rng.choices(list(STATUS_SHARES), weights=list(STATUS_SHARES.values()))[0]
    consent = {"id": n + 1, "user_id": user_id, "purpose": "registration",
               "text_version": "reg-2026-12", "channel": channel, "on_behalf": registrant,
               "given_at": at}  # fmt: skip
    registration = {
        "id": n + 1, "reference": _reference((n * 7919 + 12_345) % 25**5),
        "user_id": user_id, "consent_id": n + 1, "channel": channel, "registrant": registrant,
        "relation": relation, "head_name": name, "head_name_key": fold(name),
        "contact_phone": _phone(rng, n),
        "old_phone": _phone(rng, n + 5_000_000) if rng.random() < 0.3 else None,
        "province_code": PROVINCE, "ward_code": ward, "village": rng.choice(VILLAGES),
        "category": rng.choice(CATEGORIES), "device_name": rng.choice(DEVICES),
        "device_verdict": rng.choice(VERDICTS), "help_wanted": rng.choice(HELP),
        "status": status, "created_at": at, "updated_at": at,
    }  # fmt: skip
    return registration, consent


def _history(
    rng: random.Random, registration: dict[str, Any], staff_id: int, now: datetime
) -> list[dict[str, Any]]:
    """The events that took a registration to its status; sets its `updated_at`."""
    events, at = [], registration["created_at"]
    for before, after, who in HISTORY[registration["status"]]:
        at = min(now, at + timedelta(hours=rng.uniform(2, 72)))
        events.append(
            {"registration_id": registration["id"], "actor_kind": who,
             "actor_staff_id": staff_id if who == "staff" else None,
             "actor_user_id": registration["user_id"] if who == "citizen" else None,
             "from_status": before, "to_status": after,
             "note": REJECTION if after == "rejected" else None, "at": at}
        )  # fmt: skip
    registration["updated_at"] = at
    return events


def fill(url: str, rows: int, staff_id: int) -> Filled:
    """Write the users, then `rows` registrations with their consents and histories, in
    chunks; on PostgreSQL move the id sequences past them and VACUUM ANALYZE."""
    from sqlalchemy import func, insert, select, text

    from bot.core.text import fold
    from db.models import Consent, Registration, RegistrationEvent, User

    rng = random.Random(SEED)
    communes = _communes(rng)
    now = datetime.now(UTC)
    start, step = now - timedelta(days=DAYS), timedelta(days=DAYS) / max(rows, 1)
    searched: list[str] = []  # folded names of the filtered list's rows
    references: list[str] = []
    engine = _sync_engine(url)
    started = time.perf_counter()
    try:
        with engine.begin() as connection:
            users = [
                {"channel": CHANNELS[n % len(CHANNELS)], "external_id": f"bench-user-{n}",
                 "locale": "vi", "created_at": start, "last_seen_at": now}
                for n in range(USERS)
            ]  # fmt: skip
            connection.execute(insert(User), users)
            user_ids = list(
                connection.scalars(
                    select(User.id).where(User.external_id.like("bench-user-%")).order_by(User.id)
                )
            )
            for first in range(0, rows, CHUNK):
                consents, registrations, events = [], [], []
                for n in range(first, min(first + CHUNK, rows)):
                    at = start + step * (n + rng.random())
                    ward = rng.choices(communes, weights=COMMUNE_SHARES)[0]
                    registration, consent = _household(rng, n, at, ward, rng.choice(user_ids))
                    events += _history(rng, registration, staff_id, now)
                    consents.append(consent)
                    registrations.append(registration)
                    references.append(registration["reference"])
                    if ward == communes[0] and registration["status"] == FILTER_STATUS:
                        searched.append(registration["head_name_key"])
                connection.execute(insert(Consent), consents)
                connection.execute(insert(Registration), registrations)
                if events:
                    connection.execute(insert(RegistrationEvent), events)
                _say(f"filled {min(first + CHUNK, rows)} of {rows}")
            first_id = int(connection.scalar(select(func.min(Registration.id))) or 1)
            if engine.dialect.name == "postgresql":
                for table in ("consents", "registrations"):
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    counts = {f: sum(fold(f) in key for key in searched) for f in FAMILIES}
    query = min(counts, key=lambda f: abs(counts[f] - TARGET_MATCHES))
    return Filled(
        seconds=round(seconds, 1),
        first_id=first_id,
        references=rng.sample(references, min(DETAIL_REFERENCES, len(references))),
        ward=communes[0],
        query=query,
        query_matches=counts[query],
    )


# ---------------------------------------------------------------- staff and signing in


async def add_admin(url: str) -> StaffIdentity:
    """An admin of province 14, made as `bot staff add` makes one."""
    from bot.core.access import Role
    from bot.services.places import Places
    from bot.services.staff import StaffService
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await StaffService(session, Places()).add(
                channel="telegram",
                external_id="bench-admin",
                role=Role.ADMIN,
                province_code=PROVINCE,
                name="Bench admin",
                actor="bench",
            )
    finally:
        await engine.dispose()


async def login_token(url: str, staff: StaffIdentity) -> str:
    """A one-time sign-in token for `staff`, valid ten minutes."""
    from bot.services.web_access import WebAccessService
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            link = await WebAccessService(session).login_link(staff, minutes=10, actor="bench")
    finally:
        await engine.dispose()
    return link.token


# ---------------------------------------------------------------- the server


def bot_env(url: str, fake_url: str, locales: Path, folder: Path) -> dict[str, str]:
    """`bot run`'s environment: this database, the fake Telegram, a free port."""
    prefixes = ("TELEGRAM_", "ZALO_", "DATABASE_URL", "HTTP_", "WEB_", "OUTBOX_", "INBOX_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=f"{fake_url}/bot",
        HTTP_PORT=str(_free_port()),
        CACHE_DIR=str(CACHE_DIR),
        LOCALES_DIR=str(locales),
        EXPORT_DIR=str(folder / "exports"),
        QUIET_HOURS="off",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextlib.contextmanager
def console_server(url: str, locales: Path, folder: Path, label: str) -> Iterator[str]:
    """`bot run` on the database, with a fake Telegram; the console's base URL once
    /healthz answers 200. Both processes are stopped afterwards (SIGTERM, then SIGKILL)."""
    with fake_server(folder) as fake:
        bot = BotProcess(bot_env(url, fake, locales, folder), folder / f"bot-{label}.log")
        try:
            asyncio.run(_healthy(bot))
            yield f"http://127.0.0.1:{bot.port}"
        finally:
            _stop(bot.process)


async def _healthy(bot: BotProcess) -> None:
    async with httpx.AsyncClient() as client:
        await bot.wait_healthy(client)


def sign_in(client: httpx.Client, token: str) -> None:
    """Use the link: 303 and the session cookie, kept by `client`."""
    response = client.post("/console/login", data={"token": token})
    if response.status_code != 303 or "console_session" not in client.cookies:
        raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:500]}")
    home = client.get("/console/")
    if home.status_code != 200:
        raise RuntimeError(f"/console/ answered {home.status_code} after signing in")


# ---------------------------------------------------------------- requests


def _percentile_ms(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


def measure(
    client: httpx.Client, urls: list[str], requests: int, check: Callable[[str, str], None]
) -> dict[str, Any]:
    """`WARMUP` untimed GETs, then `requests` timed ones, cycling through `urls`; every
    answer must be 200 and pass `check(url, html)` (checked after the timing)."""
    times: list[float] = []
    sizes: list[int] = []
    for number in range(WARMUP + requests):
        url = urls[number % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:500]}")
        check(url, response.text)
        if number >= WARMUP:
            times.append(elapsed)
            sizes.append(len(response.content))
    return {
        "p50_ms": _percentile_ms(times, 0.50),
        "p95_ms": _percentile_ms(times, 0.95),
        "bytes": int(statistics.median(sizes)),
    }


def list_check(total: int, shown: int) -> Callable[[str, str], None]:
    """A list page must say `total` matches and show `shown` rows."""

    def check(url: str, html: str) -> None:
        found = TOTAL.search(html)
        said = int(found.group(1).replace(".", "")) if found else None
        rows = html.count(ROW_LINK)
        if said != total or rows != shown:
            raise RuntimeError(
                f"GET {url}: {said} {LISTED!r} and {rows} rows; expected {total} and {shown}"
            )

    return check


def detail_check(url: str, html: str) -> None:
    """A registration's page must show its reference."""
    reference = url.rsplit("/", 1)[-1]
    if reference not in html:
        raise RuntimeError(f"GET {url}: the page does not show {reference}")


def measure_pages(
    client: httpx.Client, filled: Filled, rows: int, requests: int
) -> dict[str, dict[str, Any]]:
    """The four pages, one after another."""
    listed = "/console/registrations"
    filtered = (
        f"{listed}?{httpx.QueryParams(status=FILTER_STATUS, ward=filled.ward, q=filled.query)}"
    )
    before = filled.first_id + DEEP_OFFSET
    plans = {
        "list_first": ([listed], list_check(rows, min(PAGE_ROWS, rows))),
        "list_filtered": (
            [filtered],
            list_check(filled.query_matches, min(PAGE_ROWS, filled.query_matches)),
        ),
        "list_deep": (
            [f"{listed}?before={before}"],
            list_check(rows, min(PAGE_ROWS, DEEP_OFFSET, rows)),
        ),
        "detail": ([f"{listed}/{ref}" for ref in filled.references], detail_check),
    }
    pages = {}
    for name, (urls, check) in plans.items():
        _say(f"measuring {name} ({requests} requests)")
        pages[name] = measure(client, urls, requests, check)
    return pages


# ---------------------------------------------------------------- the run


def run_database(url: str, label: str, args: argparse.Namespace, folder: Path) -> dict:
    """Migrate, fill, serve, sign in and measure one database."""
    from db import migrate

    locales = folder / "locales"
    _say(f"{label}: migrating")
    migrate.upgrade(url)
    staff = asyncio.run(add_admin(url))
    _say(f"{label}: filling {args.rows} registrations")
    filled = fill(url, args.rows, staff.id)
    token = asyncio.run(login_token(url, staff))
    _say(f"{label}: starting bot run")
    with (
        console_server(url, locales, folder, label) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        sign_in(client, token)
        _say(f"measuring /healthz ({args.requests} requests)")
        floor = measure(client, ["/healthz"], args.requests, lambda _url, _html: None)
        pages = measure_pages(client, filled, args.rows, args.requests)
    ratio = pages["list_deep"]["p95_ms"] / max(pages["list_first"]["p95_ms"], 0.1)
    return {
        "fill_seconds": filled.seconds,
        "filter": {
            "status": FILTER_STATUS,
            "ward": filled.ward,
            "q": filled.query,
            "matches": filled.query_matches,
        },
        "deep_before": filled.first_id + DEEP_OFFSET,
        "pages": pages,
        "healthz": floor,
        "deep_vs_first_p95": round(ratio, 2),
        "goals_met": all(page["p95_ms"] < GOAL_P95_MS for page in pages.values())
        and ratio <= DEEP_TOLERANCE,
    }


def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {
        "rows": args.rows,
        "requests": args.requests,
        "load_at_start": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "goal": {
            "p95_ms_under": GOAL_P95_MS,
            "deep_no_slower_than_first": True,
            "deep_tolerance": DEEP_TOLERANCE,
        },
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        compile_catalogs(folder / "locales")
        databases: list[tuple[str, Callable[[], contextlib.AbstractContextManager[str]]]] = [
            ("sqlite", lambda: contextlib.nullcontext(f"sqlite:///{folder}/console.db"))
        ]
        if args.postgres_url:
            databases.append(("postgresql", lambda: postgres_database(args.postgres_url)))
        for label, database in databases:
            with database() as url:
                report[label] = run_database(url, label, args, folder)
    report["load_at_end"] = round(os.getloadavg()[0], 2)
    report["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, ensure_ascii=False))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="registrations to fill")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per page")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    return parser.parse_args()


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through the context managers that stop the children


if __name__ == "__main__":
    arguments = _parse()
    signal.signal(signal.SIGTERM, _terminated)
    main(arguments)
