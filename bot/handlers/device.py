"""Is my phone affected? By model name, by IMEI, or by a few yes/no questions."""

from __future__ import annotations

import re

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.normalize import normalize
from bot.core.router import Router
from bot.handlers.buttons import menu_button
from bot.services.device_quiz import QUESTIONS, next_question, quiz_verdict
from bot.services.devices import AFFECTED, DeviceResult, Verdict, find_imei, result_for_model
from bot.services.timeline import describe

PAYLOAD = "device"
ASK = "device.ask"
PICK = "device.pick"
QUIZ = "device.quiz"
_YES = {"co", "yes", "y", "u", "uh", "um", "dung", "phai", "roi", "co a", "co roi", "co chu"}
_NO = {"khong", "no", "n", "chua", "khong a", "khong co", "chua co"}
_DONT_KNOW = {"khong biet", "khong ro", "chiu", "biet dau", "dont know", "not sure", "kb"}


def quiz_button() -> Button:
    """Answer questions instead of naming the model."""
    return Button(_("I don't know the model"), f"{PAYLOAD}:quiz")


def _confidence_label(level: str) -> str:
    return {"high": _("high"), "medium": _("fairly sure"), "low": _("not sure")}.get(level, level)


async def cmd_kiemtra(ctx: TurnContext) -> None:
    """`/kiemtra` asks for the phone; `/kiemtra nokia 1280` checks at once."""
    if ctx.args.strip():
        await check_text(ctx, ctx.args)
    else:
        await start(ctx)


async def start(ctx: TurnContext) -> None:
    """Menu item or a "check my phone" button: ask for the model or the IMEI."""
    ctx.goto(ASK, {})
    ctx.reply(
        _(
            "Please type the phone's brand and model (for example: Nokia 1280), or its IMEI "
            "number: dial *#06# on the phone to see it. The model name is usually printed "
            "under the battery or on the box."
        ),
        [quiz_button(), menu_button()],
    )


async def on_model_or_imei(ctx: TurnContext) -> None:
    """Text typed while we wait for a model name or an IMEI."""
    await check_text(ctx, ctx.text)


async def check_text(ctx: TurnContext, text: str) -> None:
    """Check what the user typed and answer: verdict, choice of variants, or next step."""
    result = await ctx.services.devices.check(text)
    if result.kind == "imei" and not result.valid:
        ctx.goto(ASK, {})
        _explain_bad_imei(ctx, result)
        return
    if result.candidates:
        _ask_which_variant(ctx, result)
        return
    if result.verdict is not Verdict.UNKNOWN or result.model:
        await give_verdict(ctx, result)
        return
    ctx.goto(ASK, {})
    if result.brand:
        text = _(
            "{brand} has made many different phones, old and new. If you can, type the model "
            "name printed under the battery or on the box; otherwise I will ask you a few "
            "questions."
        ).format(brand=result.brand)
    elif result.kind == "imei":
        text = _(
            "This IMEI is valid, but I do not know its model yet. Please type the model name, "
            "or answer a few questions."
        )
    else:
        text = _(
            "I did not recognise a phone model in that. Please type the brand and model "
            "(for example: Nokia 105 4G), the IMEI, or answer a few questions."
        )
    ctx.reply(text, [quiz_button(), menu_button()])


def _explain_bad_imei(ctx: TurnContext, result: DeviceResult) -> None:
    if result.imei_problem == "checksum":
        first = _("This IMEI does not look right: one digit may be mistyped.")
    else:
        first = _("An IMEI has 15 digits; the number you sent has a different length.")
    ctx.reply(
        first
        + " "
        + _(
            "Please dial *#06# on the phone and type the 15 digits shown, slowly. "
            "You can also type the model name instead."
        ),
        [quiz_button(), menu_button()],
    )


def _ask_which_variant(ctx: TurnContext, result: DeviceResult) -> None:
    ctx.goto(PICK, {"candidates": [[m.brand, m.model] for m in result.candidates]})
    buttons = [
        Button(m.name, f"{PAYLOAD}:pick:{index}") for index, m in enumerate(result.candidates)
    ]
    ctx.reply(
        _(
            "This name covers several phones, and they are not affected in the same way. "
            'Which one is it? Look for "4G" printed on the phone, under the battery or on '
            "the box. Another test: put in a SIM with mobile data and try to go online; a phone "
            "that cannot go online has no 4G."
        ),
        [*buttons, quiz_button(), menu_button()],
    )


async def on_button(ctx: TurnContext) -> None:
    """device:start, device:quiz, device:pick:N, device:ans:yes|no|unknown."""
    action, _sep, rest = ctx.args.partition(":")
    if action == "start":
        await start(ctx)
    elif action == "quiz":
        ctx.goto(QUIZ, {"answers": {}})
        _ask_next(ctx)
    elif action == "pick" and ctx.state == PICK:
        await _pick(ctx, rest)
    elif action == "ans" and ctx.state == QUIZ and rest in ("yes", "no", "unknown"):
        await _answer(ctx, rest)
    else:
        ctx.reply(_("This button is no longer in use. Please choose again:"), [menu_button()])


async def _pick(ctx: TurnContext, index_text: str) -> None:
    candidates = ctx.data.get("candidates") or []
    if not index_text.isdigit() or int(index_text) >= len(candidates):
        ctx.reply(_("This button is no longer in use. Please choose again:"), [menu_button()])
        return
    brand, model = candidates[int(index_text)]
    entry = next(
        (m for m in ctx.services.devices.catalogue.models if (m.brand, m.model) == (brand, model)),
        None,
    )
    if entry is None:
        ctx.reply(_("This button is no longer in use. Please choose again:"), [menu_button()])
        return
    await give_verdict(ctx, result_for_model(f"{brand} {model}", "model", entry))


async def on_quiz_text(ctx: TurnContext) -> None:
    """A typed answer to a yes/no question ("co", "ko", "khong biet")."""
    said = normalize(ctx.text)
    if said in _DONT_KNOW:
        await _answer(ctx, "unknown")
    elif said in _YES:
        await _answer(ctx, "yes")
    elif said in _NO:
        await _answer(ctx, "no")
    else:
        ctx.reply(_("Please answer Yes, No or I don't know:"), _answer_buttons())


def _answer_buttons() -> list[Button]:
    return [
        Button(_("Yes"), f"{PAYLOAD}:ans:yes"),
        Button(_("No"), f"{PAYLOAD}:ans:no"),
        Button(_("I don't know"), f"{PAYLOAD}:ans:unknown"),
    ]


def _question_text(key: str) -> str:
    return {
        "icon": _('At the top of the screen, does the phone show "4G" or "LTE"?'),
        "internet": _(
            "With a SIM that has mobile data, can the phone go online (open a web page, Zalo "
            "or Facebook)?"
        ),
        "bought": _("Was the phone bought new in Vietnam after July 2021?"),
        "hd": _('During a call, does the screen show "HD", "VoLTE" or "4G HD"?'),
    }[key]


def _ask_next(ctx: TurnContext) -> None:
    answers = ctx.data.get("answers", {})
    key = next_question(answers)
    if key is None:
        return
    number = len(answers) + 1
    ctx.reply(
        _("Question {number}: {question}").format(number=number, question=_question_text(key)),
        _answer_buttons(),
    )


async def _answer(ctx: TurnContext, value: str) -> None:
    answers = dict(ctx.data.get("answers", {}))
    key = next_question(answers)
    if key is None or key not in QUESTIONS:
        ctx.finish()
        ctx.reply(_("This button is no longer in use. Please choose again:"), [menu_button()])
        return
    answers[key] = value
    ctx.goto(QUIZ, {"answers": answers})
    if next_question(answers) is not None:
        _ask_next(ctx)
        return
    outcome = quiz_verdict(answers)
    result = DeviceResult(
        query="; ".join(f"{k}={v}" for k, v in answers.items()),
        kind="unknown",
        valid=True,
        verdict=outcome.verdict,
        confidence=outcome.confidence,
        source=_("your answers"),
    )
    if outcome.fake_4g_warning:
        ctx.reply(
            _(
                'A phone that shows "4G" but cannot go online is often a fake 4G phone that '
                "uses only 2G."
            )
        )
    await give_verdict(ctx, result, kind="questions")


def verdict_text(ctx: TurnContext, result: DeviceResult) -> str:
    """What the verdict means today, how sure we are, and where it comes from."""
    content = ctx.services.faq.content
    today = ctx.today

    def when(milestone: str) -> str:
        return describe(content.milestone_on(milestone, today), today)

    if result.model:
        lines = [_("Phone: {name}.").format(name=f"{result.brand} {result.model}")]
    else:
        lines = [_("From your answers:")]
    verdict = result.verdict
    if verdict is Verdict.TWO_G_ONLY:
        lines += [
            _("This phone uses only the 2G network."),
            when("cut_2g_only"),
            _(
                "The number is not cancelled at once: put the SIM into a 4G phone to use it "
                "again. A SIM unused for a long time may have been reclaimed; ask an operator's "
                "shop."
            ),
        ]
    elif verdict is Verdict.NO_4G:
        lines += [
            _("This phone has 3G but no 4G."),
            when("network_2g_off"),
            _("Where there is no 2G, a 3G phone may be unable to make calls."),
            when("network_3g_off"),
            _("Please change to a 4G phone that can call over 4G (VoLTE)."),
        ]
    elif verdict is Verdict.FOUR_G_NO_VOLTE:
        lines += [
            _("This phone has 4G but cannot make calls over 4G (VoLTE)."),
            when("network_2g_off"),
            _(
                "Where 2G is off, it may be unable to make or receive calls, although mobile "
                "internet still works. Please change to a phone that can call over 4G (VoLTE)."
            ),
        ]
    elif verdict is Verdict.FOUR_G:
        lines += [
            _("This phone has 4G, but I do not know whether it can call over 4G (VoLTE)."),
            _(
                'During a call, look for "HD", "VoLTE" or "4G HD" on the screen, or ask at '
                "an operator store."
            ),
            when("network_2g_off"),
        ]
    elif verdict is Verdict.FOUR_G_VOLTE:
        lines.append(
            _(
                "This phone has 4G and can call over 4G (VoLTE). It keeps working after 2G and "
                "3G are switched off."
            )
        )
    else:
        lines.append(
            _(
                "I cannot tell yet whether this phone is affected. An operator store can check "
                "it for you."
            )
        )
    lines.append(_("How sure: {level}.").format(level=_confidence_label(result.confidence)))
    if result.source:
        lines.append(_("Source: {source}.").format(source=source_for_citizens(result.source)))
    return "\n".join(lines)


_STAFF_NOTE = re.compile(r"\s*\(fact sheet[^)]*\)")


def source_for_citizens(source: str) -> str:
    """The catalogue's source note without the notes meant for staff ("fact sheet §5.1",
    "NOT CONFIRMED"), and "no confirmed source" for an unverified row."""
    if source.startswith("not verified"):
        return _("no confirmed source yet")
    parts = [_STAFF_NOTE.sub("", part).strip() for part in source.split(";")]
    kept = [_source_name(part) for part in parts if part and "NOT CONFIRMED" not in part]
    return "; ".join(kept) or _("no confirmed source yet")


def _source_name(part: str) -> str:
    known = {
        "GSMArena spec sheet": _("GSMArena spec sheet"),
        "Apple tech specs": _("Apple tech specs"),
        "Nokia/HMD spec sheet": _("Nokia/HMD spec sheet"),
    }
    if part in known:
        return known[part]
    if part.endswith(" re-post"):
        return _("{site} (a re-post of a press article)").format(site=part.removesuffix(" re-post"))
    return part


async def give_verdict(ctx: TurnContext, result: DeviceResult, *, kind: str | None = None) -> None:
    """Answer with the verdict and the next steps, and store the check for the user."""
    await ctx.services.devices.record(user_id=ctx.user.id, result=result, kind=kind)
    ctx.finish()
    if result.verdict in AFFECTED:
        buttons = [
            Button(_("Register for support"), "menu:register"),
            Button(_("Get reminders"), "menu:reminders"),
            Button(_("Cheap 4G phones"), "faq:phone_cost"),
            Button(_("Talk to an official"), "faq:human_agent"),
            menu_button(),
        ]
    elif result.verdict is Verdict.FOUR_G_VOLTE:
        buttons = [Button(_("Check another phone"), f"{PAYLOAD}:start"), menu_button()]
    else:
        buttons = [
            Button(_("Answer a few questions"), f"{PAYLOAD}:quiz"),
            Button(_("Talk to an official"), "faq:human_agent"),
            menu_button(),
        ]
    ctx.reply(verdict_text(ctx, result), buttons)


def mentioned_phone(ctx: TurnContext, text: str) -> str:
    """ "imei" or "model" when free text names a phone, "brand" for a brand alone, else ""."""
    if find_imei(text) is not None:
        return "imei"
    kind = ctx.services.devices.catalogue.matcher.find(text).kind
    return {"found": "model", "ambiguous": "model", "brand": "brand"}.get(kind, "")


def register(router: Router) -> None:
    """Add this module's routes."""
    router.command("kiemtra", cmd_kiemtra)
    router.payload(PAYLOAD, on_button)
    router.state(ASK, on_model_or_imei)
    router.state(PICK, on_model_or_imei)
    router.state(QUIZ, on_quiz_text)
