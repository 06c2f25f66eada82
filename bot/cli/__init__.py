"""Command-line interface (Typer): one module per command group.

A new group is a module with a `register(cli)` function, imported here and added to GROUPS.
"""

from __future__ import annotations

import logging

import typer

from bot.cli import (
    ask,
    audit,
    broadcast,
    chat,
    content,
    db,
    device,
    export,
    faq,
    outbox,
    run,
    staff,
)

cli = typer.Typer(
    help="Trợ lý tắt sóng 2G/3G — 2G/3G sunset assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# In the order `bot --help` lists them (commands first, then groups, each in this order).
GROUPS = (
    chat,
    run,
    ask,
    db,
    content,
    faq,
    device,
    staff,
    export,
    outbox,
    audit,
    broadcast,
)
for group in GROUPS:
    group.register(cli)


def main() -> None:
    """Entry point of the `bot` command."""
    try:
        cli()
    except Exception:
        # A programming error stays visible with its traceback, logged so that the logging
        # filter masks any token or secret in it.
        logging.getLogger("bot.cli").critical("Unexpected error", exc_info=True)
        raise SystemExit(1) from None
