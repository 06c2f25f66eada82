"""A small two-step form used to test the core's state handling (not a product feature)."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.router import Router
from bot.handlers import build_router


async def start_survey(ctx: TurnContext) -> None:
    """Ask the first question."""
    ctx.goto("survey.name", {})
    ctx.reply("What is your name?")


async def survey_name(ctx: TurnContext) -> None:
    """Store the name, ask the village."""
    ctx.goto("survey.village", {**ctx.data, "name": ctx.text})
    ctx.reply("Which village?")


async def survey_village(ctx: TurnContext) -> None:
    """Finish the form."""
    ctx.reply(f"Thanks {ctx.data['name']} from {ctx.text}.")
    ctx.finish()


async def boom(ctx: TurnContext) -> None:
    """A handler that fails, to test the error boundary."""
    ctx.goto("survey.village", {"name": "x"})
    raise RuntimeError("boom 0912345678")


def router_with_test_flows() -> Router:
    """The product router plus the test survey and a failing command."""
    router = build_router()
    router.command("survey", start_survey)
    router.state("survey.name", survey_name)
    router.state("survey.village", survey_village)
    router.command("boom", boom)
    return router
