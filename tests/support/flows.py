"""A small two-step form used to test the core's state handling (not a product feature)."""

from __future__ import annotations

from bot.core import forms
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


# --- a form on the core's form mechanism (tests of bot.core.forms) --------------------------


async def _read_colour(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    word = text.strip().lower()
    if word in ("red", "blue"):
        return forms.Parsed.ok(word)
    return forms.Parsed.fail("Red or blue, please:")


async def _read_free(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    if any(ch.isdigit() for ch in text):
        return forms.Parsed.fail("No digits in a name, please (for example: Huy):")
    return forms.Parsed.ok(text.strip())


async def _read_village(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    return forms.Parsed.ok(text.strip())


async def _saved(ctx: TurnContext, result: forms.FormResult) -> None:
    values = result.values
    ctx.reply(f"Saved: {values['colour']}, {values['name']}, {values['village']}.")


def survey_form(version: int = 1) -> forms.Form:
    """Three questions: a closed choice, a free-text name, a village that may be "2"."""
    return forms.Form(
        name="t.survey",
        version=version,
        title=lambda: "the test survey",
        steps=(
            forms.Step(
                name="colour",
                prompt=lambda _view: "Which colour?",
                choices=lambda _view: [("Red", "red"), ("Blue", "blue")],
                parse=_read_colour,
                label=lambda: "Colour",
            ),
            forms.Step(
                name="name",
                prompt=lambda _view: "Your name?",
                parse=_read_free,
                label=lambda: "Name",
            ),
            forms.Step(
                name="village",
                prompt=lambda _view: "Your village?",
                parse=_read_village,
                reads_numbers=True,
                label=lambda: "Village",
            ),
        ),
        on_complete=_saved,
        summary=True,
    )


async def _read_model(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    typed = text.strip()
    if typed == "105":
        return forms.Parsed.pick("Which 105?", [("105 (2G)", "105-2g"), ("105 4G", "105-4g")])
    if len(typed) < 3:
        return forms.Parsed.fail("Type the model, for example 105:")
    return forms.Parsed.ok(typed)


async def _said_model(ctx: TurnContext, result: forms.FormResult) -> None:
    ctx.reply(f"Model: {result.values['model']}.")


def model_form() -> forms.Form:
    """One question that reads digits (a model number) and offers a button beside them."""
    return forms.Form(
        name="t.model",
        version=1,
        title=lambda: "the model question",
        steps=(
            forms.Step(
                name="model",
                prompt=lambda _view: "Which model?",
                choices=lambda _view: [("Don't know", "unknown")],
                parse=_read_model,
                reads_numbers=True,
            ),
        ),
        on_complete=_said_model,
    )


def router_with_test_form(version: int = 1) -> Router:
    """The product router plus the test forms (`/tform` starts the survey, `/tmodel` the
    model question)."""
    survey, model = survey_form(version), model_form()
    router = build_router(survey, model)

    async def start_survey_form(ctx: TurnContext) -> None:
        await forms.start(ctx, survey)

    async def start_model_form(ctx: TurnContext) -> None:
        await forms.start(ctx, model)

    router.command("tform", start_survey_form)
    router.command("tmodel", start_model_form)
    return router
