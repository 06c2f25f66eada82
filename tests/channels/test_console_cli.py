"""The console and CLI as a user runs them: a real process, piped input, plain output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import run_bot as run_bot_command

pytestmark = pytest.mark.slow


def run_bot(
    args: list[str], stdin: str, env_extra: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BOT_TOKEN")}
    env.update(env_extra)
    return run_bot_command(args, env, cwd, stdin)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One disk cache of the trained matcher for every CLI process of the session."""
    return tmp_path_factory.mktemp("faq-cache")


@pytest.fixture
def env(tmp_path: Path, locales_dir: Path, model_cache: Path) -> dict[str, str]:
    return {
        "CACHE_DIR": str(model_cache),
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
        "LOCALES_DIR": str(locales_dir),
        "BOT_TODAY": "2026-11-24",
    }


def test_piped_start_shows_the_vietnamese_menu(env, tmp_path):
    result = run_bot(["chat", "--user", "an"], "/start\n1\n", env, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Chào anh/chị ạ" in out
    assert "  1. Lộ trình tắt sóng" in out
    assert "  3. Đăng ký hỗ trợ" in out and "  7. Nơi hỏi trực tiếp" in out
    assert "> 1\n" in out
    assert "16/10/2024" in out  # "1" opened the timeline
    assert "\x1b[" not in out  # plain text when not a terminal


def test_locale_option_shows_english(env, tmp_path):
    result = run_bot(["chat", "--user", "bo", "--locale", "en"], "/start\n", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1. Shutdown timeline" in result.stdout
    assert "3. Register for support" in result.stdout and "7. Where to ask" in result.stdout


def test_identity_keeps_state_between_runs(env, tmp_path):
    run_bot(["chat", "--user", "ca"], "/lang\n", env, tmp_path)
    result = run_bot(["chat", "--user", "ca"], "2\n", env, tmp_path)
    assert "I will write to you in English from now on." in result.stdout
    other = run_bot(["chat", "--user", "da"], "/start\n", env, tmp_path)
    assert "Chào anh/chị ạ" in other.stdout


def test_bad_options_are_explained(env, tmp_path):
    result = run_bot(["chat", "--today", "24/11/2026"], "", env, tmp_path)
    assert result.returncode != 0
    assert "YYYY-MM-DD" in result.stderr
    result = run_bot(["chat", "--locale", "fr"], "", env, tmp_path)
    assert result.returncode != 0


def test_run_without_a_token_explains_what_to_do(env, tmp_path):
    result = run_bot(["run"], "", env, tmp_path)
    assert result.returncode != 0
    for needle in (
        "TELEGRAM_BOT_TOKEN",
        "ZALO_BOT_TOKEN",
        "make chat",
        "Chưa cấu hình",
        "No messaging",
    ):
        assert needle in result.stderr


@pytest.mark.parametrize(
    "settings",
    [
        {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot"},
        {
            "ZALO_BOT_TOKEN": "123:abc",
            "ZALO_BASE_URL": "http://127.0.0.1:9",
            "ZALO_WEBHOOK_URL": "https://example.org/zalo/webhook",
            "ZALO_WEBHOOK_SECRET": "s3cret-token",
        },
    ],
    ids=["telegram", "zalo"],
)
def test_run_with_an_unreachable_platform_says_so_and_exits(env, tmp_path, settings):
    assert run_bot(["db", "upgrade"], "", env, tmp_path).returncode == 0
    result = run_bot(["run"], "", {**env, "HTTP_PORT": "0", **settings}, tmp_path)
    assert result.returncode == 1
    assert "Could not reach the messaging platform" in result.stderr
    assert "Traceback" not in result.stderr


def test_webhook_without_its_secret_is_refused(env, tmp_path):
    settings = {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_WEBHOOK_URL": "https://example.org/telegram/webhook",
    }
    result = run_bot(["run"], "", {**env, **settings}, tmp_path)
    assert result.returncode == 1
    assert "TELEGRAM_WEBHOOK_SECRET is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_command(env, tmp_path):
    result = run_bot(["db", "upgrade"], "", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bot.db").exists()
    result = run_bot(["db", "check"], "", env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_console_shows_a_due_announcement_once_and_not_in_quiet_hours(env, tmp_path):
    """`bot chat` looks for due broadcasts itself (no `bot run` on the console) and shows
    them to a console subscriber: never in quiet hours, and once."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    subscribed = run_bot(["chat", "--user", "an"], "/nhacnho\n1\n1\n", env, tmp_path)
    assert "Xong: anh/chị sẽ nhận tin" in subscribed.stdout, subscribed.stdout
    created = run_bot(
        ["broadcast", "create", "--text", "Họp dân tối thứ Bảy ở nhà văn hóa.", "--yes"],
        "",
        env,
        tmp_path,
    )
    assert created.returncode == 0, created.stderr
    local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    around_now = f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"
    quiet = run_bot(["chat", "--user", "an"], "", {**env, "QUIET_HOURS": around_now}, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "Họp dân" not in quiet.stdout
    shown = run_bot(["chat", "--user", "an"], "", {**env, "QUIET_HOURS": "off"}, tmp_path)
    assert shown.stdout.count("Họp dân tối thứ Bảy ở nhà văn hóa.") == 1, shown.stdout
    assert "Gõ “dừng”" in shown.stdout
    again = run_bot(["chat", "--user", "an"], "", {**env, "QUIET_HOURS": "off"}, tmp_path)
    assert "Họp dân" not in again.stdout
