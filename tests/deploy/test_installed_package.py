"""The package as the Docker image installs it: a wheel, run outside the source tree.

The image (see Dockerfile) runs `pip install .`, compiles the catalogs, and starts `bot db
upgrade && exec bot run` in /app with LOCALES_DIR and CACHE_DIR set. No Docker engine runs
here, so this test takes the same steps with a wheel built from this checkout: if content,
migrations or catalogs were missing from the package, or the bot read files from the source
tree, it fails here before it fails in a container.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import bot_env, run_bot

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout installed into a folder of its own (no dependencies)."""
    work = tmp_path_factory.mktemp("image")
    source = work / "src"  # what the Dockerfile copies into the build stage
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("bot", "db"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "wheel"), "."],
        cwd=source,
        check=True,
    )
    (wheel,) = (work / "wheel").glob("*.whl")
    site = work / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    return site


def image_env(site: Path, app: Path, locales_dir: Path) -> dict[str, str]:
    """The environment the Dockerfile sets, with the wheel's folder ahead of the checkout."""
    return bot_env(app / "var", locales_dir, PYTHONPATH=str(site), BOT_TODAY="2026-11-24")


def test_the_installed_package_migrates_checks_and_answers(installed, tmp_path, locales_dir):
    app = tmp_path / "app"
    (app / "var").mkdir(parents=True)
    env = image_env(installed, app, locales_dir)

    where = subprocess.run(
        [sys.executable, "-c", "import bot, db; print(bot.__file__, db.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=app,
        check=True,
    )
    assert all(path.startswith(str(installed)) for path in where.stdout.split())

    for args in (["db", "upgrade"], ["db", "check"]):
        result = run_bot(args, env, app)
        assert result.returncode == 0, result.stderr
    checked = run_bot(["content", "check", "--dir", str(installed / "bot" / "content")], env, app)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    asked = run_bot(["ask", "--json", "khi nao tat song 2g vay ad"], env, app)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["topic"] == "timeline" and "16/10/2024" in answer["answer"]

    chat = run_bot(["chat"], env, app, stdin="/start\n")
    assert chat.returncode == 0, chat.stderr
    assert "Chào anh/chị ạ" in chat.stdout  # the compiled Vietnamese catalog was found
    assert list((app / "var" / "cache").glob("faq-model-*.npz"))

    console = installed / "bot" / "web" / "console"  # the web console's pages ship too
    assert (console / "templates" / "registrations.html").is_file()
    assert (console / "static" / "console.js").is_file()


def test_the_dockerfile_takes_these_steps():
    """What the test above assumes of the Dockerfile, read from it."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY pyproject.toml README.md ./" in dockerfile
    assert re.search(r"^RUN pip install \.$", dockerfile, re.MULTILINE)
    assert "pybabel compile -d locales -D messages" in dockerfile
    for setting in ("LOCALES_DIR=/app/locales", "CACHE_DIR=/app/var/cache"):
        assert setting in dockerfile
    assert re.search(r"^USER bot$", dockerfile, re.MULTILINE)
    assert 'CMD ["sh", "-c", "bot db upgrade && exec bot run"]' in dockerfile
