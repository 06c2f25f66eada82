"""Is my phone affected? By model name, by IMEI, or by a few yes/no questions.

The verdict's words come from the content (verdicts.yaml) and match how sure it is; a phone
the catalogue does not know is never given another phone's verdict: it gets the questions.
"""

from __future__ import annotations

from bot.core import forms
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.normalize import normalize
from bot.core.router import Router
from bot.handlers.buttons import menu_button, more_button, official_button, register_button
from bot.handlers.common import on_stale_payload
from bot.services.answers import Answer
from bot.services.device_quiz import QUESTIONS, next_question, quiz_verdict
from bot.services.devices import (
    AFFECTED,
    DeviceCatalogue,
    DeviceResult,
    MatchKind,
    Verdict,
    entry_ref,
    result_for_model,
)
from bot.services.imei import NumberKind, read_number
from bot.services.verdict_texts import QUIZ_SOURCE, render_verdict

PAYLOAD = "device"
ASK = "device.ask"
PICK = "device.pick"
QUIZ = "device.quiz"
_YES = {"co", "yes", "y", "u", "uh", "um", "dung", "phai", "roi", "co a", "co roi", "co chu",
        "vang", "da", "da co", "co hien", "co vao duoc"}  # fmt: skip
_NO = {"khong", "no", "n", "chua", "khong a", "khong co", "chua co", "khong hien",
       "khong vao duoc"}  # fmt: skip
DONT_KNOW = frozenset(
    {"khong biet", "khong ro", "chiu", "biet dau", "dont know", "not sure", "kb", "khong nho",
     "khong biet a", "khong biet ten may", "khong biet may gi", "khong biet ten",
     "khong nho ten", "khong ro ten may", "i don t know"}
)  # fmt: skip


def quiz_button() -> Button:
    """Answer questions instead of naming the model."""
    return Button(_("I don't know the model"), f"{PAYLOAD}:quiz")


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
    """Text typed while we wait for a model name or an IMEI ("không biết": the questions)."""
    if normalize(ctx.text) in DONT_KNOW:
        await start_quiz(ctx)
        return
    await check_text(ctx, ctx.text)


async def check_text(ctx: TurnContext, text: str) -> None:
    """Check what the user typed and answer: verdict, choice of variants, or next step."""
    result = await ctx.services.devices.check(text)
    if result.kind == "imei" and not result.valid:
        ctx.goto(ASK, {})
        _explain_bad_imei(ctx, result)
    elif result.kind in (NumberKind.PHONE, NumberKind.ID_CARD):
        ctx.goto(ASK, {})
        _explain_not_an_imei(ctx, result.kind)
    elif result.candidates:
        _ask_which_variant(ctx, result)
    elif result.in_catalogue:
        await give_verdict(ctx, result)
    elif result.model:
        await _unknown_model(ctx, result)
    else:
        ctx.goto(ASK, {})
        ctx.reply(_did_not_recognise(result), [quiz_button(), menu_button()])


def _did_not_recognise(result: DeviceResult) -> str:
    if result.brand:
        return _(
            "{brand} has made many different phones, old and new. If you can, type the model "
            "name printed under the battery or on the box; otherwise I will ask you a few "
            "questions."
        ).format(brand=result.brand)
    if result.kind == "imei":
        return _(
            "This IMEI is valid, but I do not know its model yet. Please type the model name, "
            "or answer a few questions."
        )
    return _(
        "I did not recognise a phone model in that. Please type the brand and model "
        '(for example: Nokia 105 4G) or the IMEI, or choose "I don\'t know the model" to answer '
        "a few questions."
    )


async def _unknown_model(ctx: TurnContext, result: DeviceResult) -> None:
    """A model the catalogue does not know (typed, or named by the IMEI's TAC): keep it for
    staff, say so, and go straight to the questions."""
    await ctx.services.devices.record_miss(channel=ctx.incoming.channel, result=result)
    name = result.name or ""
    if result.kind == "imei":
        first = _("This IMEI belongs to a {name}. I do not know this model's networks yet.")
    else:
        first = _("I have no information on the {name} yet.")
    more = _("The model has been noted so that it can be added. Please answer a few questions:")
    await start_quiz(ctx, phone=name, intro=f"{first.format(name=name)} {more}")


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


def _explain_not_an_imei(ctx: TurnContext, kind: str) -> None:
    if kind == NumberKind.PHONE:
        first = _("This looks like a phone number, not the phone's IMEI.")
    else:
        first = _(
            "This looks like an ID-card number. You do not need to send it, and it is safer "
            "not to send ID numbers in messages."
        )
    ctx.reply(
        first
        + " "
        + _("The IMEI has 15 digits: dial *#06# on the phone to see it, or type the model name."),
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
            "that cannot go online most likely has no 4G (or its mobile data is off)."
        ),
        [*buttons, quiz_button(), menu_button()],
    )


async def on_button(ctx: TurnContext) -> None:
    """device:start, device:quiz, device:pick:N, device:more:REF (old device:ans:… buttons
    of the questions before they were a form are stale)."""
    action, _sep, rest = ctx.args.partition(":")
    if action == "start":
        await start(ctx)
    elif action == "quiz":
        await start_quiz(ctx)
    elif action == "pick" and ctx.state == PICK:
        await _pick(ctx, rest)
    elif action == "more":
        await _show_more(ctx, rest)
    else:
        await on_stale_payload(ctx)


async def _pick(ctx: TurnContext, index_text: str) -> None:
    candidates = ctx.data.get("candidates") or []
    if not index_text.isdigit() or int(index_text) >= len(candidates):
        await on_stale_payload(ctx)
        return
    brand, model = candidates[int(index_text)]
    entry = ctx.services.devices.catalogue.get(brand, model)
    if entry is None:
        await on_stale_payload(ctx)
        return
    await give_verdict(ctx, result_for_model(f"{brand} {model}", "model", entry))


async def start_quiz(ctx: TurnContext, *, phone: str | None = None, intro: str = "") -> None:
    """Begin the yes/no questions (`phone`: the model's name, when we know it)."""
    await forms.start(ctx, QUIZ_FORM, extra={"phone": phone} if phone else {}, intro=intro)


async def pick_back(ctx: TurnContext) -> None:
    """ "Quay lại" when choosing a variant: type the model again."""
    await start(ctx)


def _question(key: str) -> forms.Step:
    """A yes/no question of the quiz, asked only when `next_question` says it is needed."""
    return forms.Step(
        name=key,
        prompt=lambda view: _("Question {number}: {question}").format(
            number=view.number, question=_question_text(key)
        ),
        choices=lambda _view: [
            (_("Yes"), "yes"),
            (_("No"), "no"),
            (_("I don't know"), "unknown"),
        ],
        parse=_read_yes_no,
        when=lambda answers: next_question({k: v for k, v in answers.items() if k != key}) == key,
    )


async def _read_yes_no(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    """A typed answer to a yes/no question ("co", "ko", "khong biet")."""
    said = normalize(text)
    for answer, words in (("unknown", DONT_KNOW), ("yes", _YES), ("no", _NO)):
        if said in words:
            return forms.Parsed.ok(answer)
    return forms.Parsed.fail(_("Please answer Yes, No or I don't know:"))


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


async def _quiz_done(ctx: TurnContext, result: forms.FormResult) -> None:
    answers = {key: result.values[key] for key in QUESTIONS if key in result.values}
    outcome = quiz_verdict(answers)
    device = DeviceResult(
        query="; ".join(f"{k}={v}" for k, v in answers.items()),
        kind="unknown",
        valid=True,
        verdict=outcome.verdict,
        model=result.extra.get("phone"),
        confidence=outcome.confidence,
        source=QUIZ_SOURCE,
    )
    if outcome.fake_4g_warning:
        ctx.reply(
            _(
                'A phone that shows "4G" but cannot go online is often a fake 4G phone that '
                "uses only 2G."
            )
        )
    await give_verdict(ctx, device, kind="questions")


QUIZ_FORM = forms.Form(
    name=QUIZ,
    version=2,  # 1 was the hand-made {"answers": {...}} of before the forms
    title=lambda: _("the questions about your phone"),
    steps=tuple(_question(key) for key in QUESTIONS),
    on_complete=_quiz_done,
    on_back_out=start,
)


def verdict_answer(ctx: TurnContext, result: DeviceResult) -> Answer:
    """The verdict for today in the content's words."""
    return render_verdict(ctx.services.faq.renderer, result, ctx.today)


def _more_ref(result: DeviceResult, catalogue: DeviceCatalogue) -> str | None:
    """What the "more" button must find again: the catalogue entry, or the quiz's verdict."""
    if result.source == QUIZ_SOURCE:
        return f"q:{result.verdict.value}:{result.confidence}"
    if result.in_catalogue and result.brand and result.model:
        entry = catalogue.get(result.brand, result.model)
        return "m:" + entry_ref(entry) if entry is not None else None
    return None


async def _show_more(ctx: TurnContext, ref: str) -> None:
    kind, _sep, rest = ref.partition(":")
    result: DeviceResult | None = None
    if kind == "m":
        entry = ctx.services.devices.catalogue.by_ref(rest)
        if entry is not None:
            result = result_for_model(entry.name, "model", entry)
    elif kind == "q":
        verdict, _sep, confidence = rest.partition(":")
        if verdict in {v.value for v in Verdict}:
            result = DeviceResult(query="", kind="unknown", valid=True, verdict=Verdict(verdict),
                                  confidence=confidence, source=QUIZ_SOURCE)  # fmt: skip
    more = verdict_answer(ctx, result).more if result is not None else None
    if result is None or more is None:
        await on_stale_payload(ctx)
        return
    ctx.reply(more, _next_steps(ctx, result, with_more=False))


async def give_verdict(ctx: TurnContext, result: DeviceResult, *, kind: str | None = None) -> None:
    """Answer with the verdict and the next steps, and store the check for the user."""
    await ctx.services.devices.record(user_id=ctx.user.id, result=result, kind=kind)
    ctx.finish()
    answer = verdict_answer(ctx, result)
    # "Xem thêm" when there are details, or a source beyond the person's own answers.
    worth_it = answer.details is not None or result.source not in (None, QUIZ_SOURCE)
    ctx.reply(answer.first, _next_steps(ctx, result, with_more=worth_it))


def _next_steps(ctx: TurnContext, result: DeviceResult, *, with_more: bool) -> list[Button]:
    buttons: list[Button] = []
    ref = _more_ref(result, ctx.services.devices.catalogue)
    if with_more and ref is not None:
        buttons.append(more_button(f"{PAYLOAD}:more:{ref}", details=True))
    if result.verdict in AFFECTED:
        buttons += [
            register_button(),
            Button(_("Price of a 4G phone"), "faq:phone_cost"),
            Button(_("Who gets support"), "faq:support_eligibility"),
            Button(_("Keep my number"), "faq:keep_number"),
        ]
    elif result.verdict is Verdict.FOUR_G_VOLTE:
        buttons.append(Button(_("Check another phone"), f"{PAYLOAD}:start"))
    elif result.source != QUIZ_SOURCE:
        buttons.append(Button(_("Answer a few questions"), f"{PAYLOAD}:quiz"))
    return [*buttons, official_button(), menu_button()]


def mentioned_phone(ctx: TurnContext, text: str) -> str:
    """What free text names: "imei", "model" (one we know or one we do not), "brand", or ""."""
    reading = read_number(text)
    if reading is not None and reading.kind in (NumberKind.IMEI, NumberKind.IMEI_LENGTH):
        return "imei"
    kind = ctx.services.devices.catalogue.matcher.find(text).kind
    return {
        MatchKind.FOUND: "model",
        MatchKind.AMBIGUOUS: "model",
        MatchKind.UNKNOWN_MODEL: "unknown_model",
        MatchKind.BRAND: "brand",
    }.get(kind, "")


def register(router: Router, form_routes: forms.FormRoutes) -> None:
    """Add this module's routes."""
    router.command("kiemtra", cmd_kiemtra)
    router.payload(PAYLOAD, on_button)
    router.state(ASK, on_model_or_imei, reads_numbers=True)  # an IMEI, "105"
    router.state(PICK, on_model_or_imei)
    form_routes.add(QUIZ_FORM)
    router.back(PICK, pick_back)
