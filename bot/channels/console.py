"""Console channel: chat with the bot in a terminal, or drive it from a script through stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt

from bot.channels.base import numbered_options, render_plain
from bot.core.messages import Incoming, Reply, reply_from_body
from bot.core.quiet import QuietHours
from bot.core.runner import TurnRunner
from db.models import utcnow
from db.repositories.outbox import OutboxRepository

CHANNEL = "console"
EXIT_WORDS = {"/exit", "/quit", "exit", "quit"}


class ConsoleChannel:
    """Feeds lines to the turn runner and prints the replies.

    Interactive (a terminal): coloured output and a prompt. Scripted (stdin is not a
    terminal): every input line is one message, output is plain text, and the chat
    ends at the end of input.
    """

    def __init__(
        self,
        runner: TurnRunner,
        *,
        user_id: str,
        stdin: TextIO,
        stdout: TextIO,
        quiet_hours: QuietHours | None = None,
    ) -> None:
        self.runner = runner
        self.quiet_hours = quiet_hours
        self.user_id = user_id
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty() and stdout.isatty()
        self.console = Console(file=stdout, highlight=False, soft_wrap=True)

    async def say(self, text: str) -> list[Reply]:
        """Send one user message through the core and print the replies, then what else
        waits for this user in the outbox."""
        replies = await self.runner.handle(
            Incoming(channel=CHANNEL, user_id=self.user_id, text=text)
        )
        self.show(replies)
        await self.deliver_waiting()
        return replies

    async def deliver_waiting(self) -> list[Reply]:
        """Show the messages queued for this user by others (a status change made by staff,
        an announcement): the console is their channel, so it sends them, once; announcements
        and reminders not in quiet hours."""
        quiet = self.quiet_hours is not None and self.quiet_hours.contains(utcnow())
        async with self.runner.sessionmaker() as session, session.begin():
            bodies = await OutboxRepository(session).take_pending(
                channel=CHANNEL, address=self.user_id, broadcasts=not quiet
            )
        waiting = [reply_from_body(body) for body in bodies]
        self.show(waiting)
        return waiting

    def show(self, replies: Iterable[Reply]) -> None:
        """Print replies: coloured in a terminal, plain text otherwise."""
        for reply in replies:
            if self.interactive:
                self.console.print(f"[bold green]bot[/] {escape(reply.text)}", markup=True)
                for option in numbered_options(reply):
                    self.console.print(f"    [cyan]{escape(option)}[/]", markup=True)
            else:
                self.stdout.write(render_plain(reply) + "\n")
        if not self.interactive:
            self.stdout.flush()

    async def run(self, first_message: str | None = "/start") -> None:
        """Chat until end of input (or /exit in a terminal)."""
        if first_message and self.interactive:
            await self.say(first_message)
        else:
            await self.deliver_waiting()
        while True:
            line = self._read_line()
            if line is None:
                return
            if self.interactive and line.strip().lower() in EXIT_WORDS:
                return
            if not self.interactive:
                self.stdout.write(f"> {line}\n")
            await self.say(line)

    def _read_line(self) -> str | None:
        if self.interactive:
            try:
                return Prompt.ask("[bold]>[/]", console=self.console)
            except (EOFError, KeyboardInterrupt):
                self.stdout.write("\n")
                return None
        line = self.stdin.readline()
        if not line:
            return None
        return line.rstrip("\r\n")


def default_stdio() -> tuple[TextIO, TextIO]:
    """The process's standard input and output."""
    return sys.stdin, sys.stdout
