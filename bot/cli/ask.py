"""`bot ask`: answer questions as the bot would."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli.common import LocaleOption, TodayOption, check_locale, load_settings, questions
from bot.config import SUPPORTED_LOCALES


def register(cli: typer.Typer) -> None:
    """Add `ask` to the app."""
    cli.command()(ask)


def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question; omit to read stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    today: TodayOption = None,
    locale: LocaleOption = None,
) -> None:
    """Answer questions as the bot would (no database needed)."""
    check_locale(locale)
    settings = load_settings(today)
    from bot.content.loader import load_content
    from bot.core.clock import Clock
    from bot.core.i18n import load_catalogs, use_locale
    from bot.services.faq import FaqService

    load_catalogs(settings.locales_dir, SUPPORTED_LOCALES)
    faq = FaqService(
        load_content(settings.content_dir),
        cache_dir=settings.cache_dir,
        stale_after_days=settings.content_stale_days,
    )
    day = Clock(timezone=settings.timezone, fixed_today=settings.bot_today).today()
    with use_locale(locale or settings.default_locale):
        for text in questions(question):
            answer = faq.answer(text, day)
            if as_json:
                record = {
                    "question": text,
                    "topic": answer.topic,
                    "score": answer.score,
                    "answer": answer.text,
                    "more": answer.more,
                    "others": list(answer.others),
                }
                typer.echo(json.dumps(record, ensure_ascii=False))
            else:
                more = f"\n--- {answer.more}" if answer.more else ""
                typer.echo(f"? {text}\n[{answer.topic} {answer.score:.2f}]\n{answer.text}{more}\n")
