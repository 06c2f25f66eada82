"""The `content` group: validate the content files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import load_settings

content_cli = typer.Typer(help="Content files (timeline, FAQ, contacts…).", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the `content` group to the app."""
    cli.add_typer(content_cli, name="content")


@content_cli.command("check")
def content_check(
    path: Annotated[
        Path | None, typer.Argument(help="Content folder (default: CONTENT_DIR, the shipped one).")
    ] = None,
    folder: Annotated[Path | None, typer.Option("--dir", help="Same as the argument.")] = None,
) -> None:
    """Validate the content files; exit 1 with a list of problems."""
    from bot.content.devices import find_device_problems
    from bot.content.loader import find_problems

    target = path or folder or load_settings().content_dir
    if not target.is_dir():
        typer.echo(f"Not a folder: {target}", err=True)
        raise typer.Exit(code=2)
    problems = find_problems(target)
    problems += find_device_problems(target / "devices.csv")[1]
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {target}:", err=True)
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"Content OK: {target}")
