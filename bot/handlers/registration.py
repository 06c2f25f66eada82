"""Registering a household for phone support: a form, consent before anything personal.

Who registers (the person, a relative, a commune official) and the household head's
agreement come first, then the consent notice; only after "Tôi đồng ý" are the name, phone
and address asked. The summary lets each field be changed; "send" stores the registration
(one live record per contact phone and commune) with the consent, and says honestly what
happens next. The same form, filled with a registration's details, corrects it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.core import forms
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.normalize import normalize
from bot.core.router import Router
from bot.handlers.buttons import menu_button, my_registrations_button, official_button
from bot.handlers.common import on_stale_payload
from bot.handlers.device import DONT_KNOW
from bot.services.devices import AFFECTED, Verdict, entry_ref, result_for_model
from bot.services.imei import NumberKind
from bot.services.phones import PhoneProblem, read_mobile, show_phone
from bot.services.registrations import (
    HouseholdDetails,
    Outcome,
    RegistrationView,
    Submission,
)
from bot.services.status_messages import status_name

FORM = "reg"  # short: it is in every button's payload (Telegram allows 64 bytes)
PAYLOAD = "reg"
DUPLICATE = "reg.duplicate"  # "you registered this household already: update it?"
NAME_MAX = 60
VILLAGE_MAX = 100
_YES = {"co", "yes", "y", "dung", "phai", "vang", "da", "ok", "dong y", "co a", "da co"}
_NO = {"khong", "no", "n", "chua", "khong a", "khong co", "ko", "k"}


# --- reading typed answers ---------------------------------------------------------------


def _by_words(words: Mapping[str, Sequence[str]]) -> forms.Parser:
    """A parser for a closed choice typed in words: the first value one of whose words (or
    phrases) the text holds; the phrases are compared folded ("can ngheo")."""

    async def parse(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
        said = f" {normalize(text)} "
        for value, phrases in words.items():
            if any(f" {phrase} " in said for phrase in phrases):
                return forms.Parsed.ok(value)
        return forms.Parsed.fail(_("Please choose one of the buttons:"))

    return parse


def _yes_no(text: str) -> str | None:
    said = normalize(text)
    if said in _YES:
        return "yes"
    if said in _NO:
        return "no"
    return None


async def _read_name(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    name = " ".join(text.split())
    if any(ch.isdigit() for ch in name):
        return forms.Parsed.fail(
            _(
                "A name has no digits. Please type the full name in letters (for example: Lò Văn "
                "Huy):"
            )
        )
    if not all(ch.isalpha() or ch in " .'-" for ch in name) or sum(ch.isalpha() for ch in name) < 2:
        return forms.Parsed.fail(
            _(
                "Please type the full name in letters only, without signs or emoji (for example: Lò"
                " Văn Huy):"
            )
        )
    if len(name) > NAME_MAX:
        return forms.Parsed.fail(
            _(
                "This name is very long. Please type only the household head's full name (at most "
                "{limit} letters):"
            ).format(limit=NAME_MAX)
        )
    return forms.Parsed.ok(name.title() if name.islower() else name)


def _phone_problem(problem: PhoneProblem | None) -> str:
    example = _("for example: 0912 345 678")
    return {
        PhoneProblem.LANDLINE: _(
            "This is a landline number. Please type a mobile number ({example}):"
        ),
        PhoneProblem.FOREIGN: _(
            "This is not a Vietnamese number. Please type a Vietnamese mobile number ({example}):"
        ),
    }.get(
        problem,
        _(
            "This does not look like a Vietnamese mobile number. Please check it and type it again "
            "({example}):"
        ),
    ).format(example=example)  # type: ignore[arg-type]


async def _read_phone(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    reading = read_mobile(text)
    if reading.e164 is None:
        return forms.Parsed.fail(_phone_problem(reading.problem))
    return forms.Parsed.ok(reading.e164)


async def _read_province(ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    found = ctx.services.places.find_province(text)
    if len(found) == 1:
        return forms.Parsed.ok({"code": found[0].code, "name": found[0].name})
    if found:
        return forms.Parsed.pick(
            _("Which province do you mean?"), [(p.name, str(p.code)) for p in found]
        )
    return forms.Parsed.fail(
        _(
            "I could not find a province called “{text}”. Please type its name (for example: Sơn "
            "La):"
        ).format(text=text[:40])
    )


async def _pick_province(ctx: TurnContext, value: str, _view: forms.FormView) -> forms.Parsed:
    province = ctx.services.places.province(int(value)) if value.isdigit() else None
    if province is None:
        return forms.Parsed.fail(_("Please type the province's name (for example: Sơn La):"))
    return forms.Parsed.ok({"code": province.code, "name": province.name})


def _province_choices(view: forms.FormView) -> list[tuple[str, str]]:
    default = view.extra.get("default_province")
    return [(str(default["name"]), str(default["code"]))] if isinstance(default, dict) else []


def _province_code(values: Mapping[str, Any]) -> int:
    province = values.get("province")
    return int(province["code"]) if isinstance(province, dict) else 0


async def _read_ward(ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    places = ctx.services.places
    province_code = _province_code(view.values)
    province = places.province(province_code)
    province_name = province.name if province else ""
    match = places.find_ward(province_code, text)
    if len(match.found) == 1 and match.exact:
        return forms.Parsed.ok({"code": match.found[0].code, "name": match.found[0].name})
    if match.found:
        question = (
            _("There are several with this name in {province}. Which one?")
            if match.exact
            else _("Did you mean one of these, in {province}?")
        )
        return forms.Parsed.pick(
            question.format(province=province_name),
            [(w.name, str(w.code)) for w in match.found],
        )
    if match.elsewhere:
        provinces = sorted(
            {p.name for w in match.elsewhere if (p := places.province(w.province_code))}
        )
        return forms.Parsed.fail(
            _(
                "{province} has no commune called “{text}”; there is one in: {others}. Please check"
                " the name, or go back to change the province:"
            ).format(province=province_name, text=text[:40], others=", ".join(provinces[:5]))
        )
    return forms.Parsed.fail(
        _(
            "I could not find the commune or ward “{text}” in {province}. Please type its name as "
            "the commune writes it (for example: Chiềng Sinh):"
        ).format(text=text[:40], province=province_name)
    )


async def _pick_ward(ctx: TurnContext, value: str, view: forms.FormView) -> forms.Parsed:
    ward = ctx.services.places.ward(int(value)) if value.isdigit() else None
    if ward is None or ward.province_code != _province_code(view.values):
        return forms.Parsed.fail(_("Please type the name of the commune or ward:"))
    return forms.Parsed.ok({"code": ward.code, "name": ward.name})


async def _read_village(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    village = " ".join(text.split())
    if not any(ch.isalnum() for ch in village):
        return forms.Parsed.fail(
            _("Please type the village, hamlet or group (for example: Bản Hụm, or Tổ 2):")
        )
    if len(village) > VILLAGE_MAX:
        return forms.Parsed.fail(
            _(
                "This is longer than {limit} characters. Please type only the village, hamlet or "
                "group (for example: Bản Hụm):"
            ).format(limit=VILLAGE_MAX)
        )
    return forms.Parsed.ok(village)


def _device_choices(view: forms.FormView) -> list[tuple[str, str]]:
    pairs = []
    last = view.extra.get("last_device")
    if isinstance(last, dict) and last.get("name"):
        pairs.append((_("The {name} I checked").format(name=str(last["name"])[:30]), "last"))
    pairs.append((_("I don't know"), "unknown"))
    return pairs


async def _read_device(ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    """A model or an IMEI typed: the device check runs here and its verdict is kept."""
    if normalize(text) in DONT_KNOW:
        return forms.Parsed.ok({"name": None, "verdict": None})
    result = await ctx.services.devices.check(text)
    if result.kind in (NumberKind.PHONE, NumberKind.ID_CARD) or (
        result.kind == "imei" and not result.valid
    ):
        return forms.Parsed.fail(
            _(
                "That is not a valid IMEI. Dial *#06# on the phone and type the 15 digits, or type "
                "the model (for example: Nokia 1280), or press “I don't know”:"
            )
        )
    if result.candidates:
        return forms.Parsed.pick(
            _("This name covers several phones. Which one is it?"),
            [(m.name, entry_ref(m)) for m in result.candidates],
        )
    if result.in_catalogue or result.model:
        await ctx.services.devices.record(user_id=ctx.user.id, result=result)
        verdict = result.verdict.value if result.in_catalogue else None
        return forms.Parsed.ok({"name": result.name or result.model, "verdict": verdict})
    return forms.Parsed.fail(
        _(
            "I did not recognise a phone in that. Please type the brand and model (for example: "
            "Nokia 1280) or the IMEI, or press “I don't know”:"
        )
    )


async def _pick_device(ctx: TurnContext, value: str, view: forms.FormView) -> forms.Parsed:
    if value == "unknown":
        return forms.Parsed.ok({"name": None, "verdict": None})
    if value == "last":
        last = view.extra.get("last_device") or {}
        return forms.Parsed.ok({"name": last.get("name"), "verdict": last.get("verdict")})
    entry = ctx.services.devices.catalogue.by_ref(value)
    if entry is None:
        return forms.Parsed.fail(_("Please type the phone's model again:"))
    result = result_for_model(entry.name, "model", entry)
    await ctx.services.devices.record(user_id=ctx.user.id, result=result)
    return forms.Parsed.ok({"name": entry.name, "verdict": result.verdict.value})


def _show_device(value: Any) -> str:
    if not isinstance(value, dict) or not value.get("name"):
        return _("not known")
    verdict = value.get("verdict")
    if verdict in {v.value for v in AFFECTED}:
        return _("{name} (affected by the switch-off)").format(name=value["name"])
    if verdict == Verdict.FOUR_G_VOLTE.value:
        return _("{name} (works after the switch-off)").format(name=value["name"])
    return str(value["name"])


async def _read_consent(ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    said = normalize(text)
    if said.startswith(("khong", "chua", "no ")) or said in _NO:
        return await _pick_consent(ctx, "no", view)
    if "dong y" in said or said in _YES or said == "i agree":
        return await _pick_consent(ctx, "yes", view)
    return forms.Parsed.fail(_("Please press “I agree” or “I do not agree”:"))


async def _pick_consent(ctx: TurnContext, value: str, _view: forms.FormView) -> forms.Parsed:
    """The consent's time is kept with the answer; refusing ends the form, storing nothing."""
    if value == "yes":
        return forms.Parsed.ok({"at": ctx.services.clock.now().isoformat(timespec="seconds")})
    return forms.Parsed.ok("refused", finish=True)


async def _read_agreement(_ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    answer = _yes_no(text)
    if answer is None:
        return forms.Parsed.fail(_("Please answer Yes or No:"))
    return await _pick_agreement(_ctx, answer, view)


async def _pick_agreement(_ctx: TurnContext, value: str, _view: forms.FormView) -> forms.Parsed:
    if value == "yes":
        return forms.Parsed.ok("yes")
    return forms.Parsed.fail(
        _(
            "A household can be registered only with the agreement of its head. Please ask them "
            "first, then come back and press “Yes”, or press “Stop”."
        )
    )


async def _read_same_phone(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    answer = _yes_no(text)
    if answer is None:
        return forms.Parsed.fail(_("Please answer Yes or No:"))
    return forms.Parsed.ok("same" if answer == "yes" else "other")


# --- the steps ---------------------------------------------------------------------------

WHO = {"self": lambda: _("Myself (my household)"),
       "relative": lambda: _("A family member"),
       "official": lambda: _("A household (I am a commune official)")}  # fmt: skip
RELATIONS = {"parent": lambda: _("My father or mother"),
             "grandparent": lambda: _("My grandfather or grandmother"),
             "spouse": lambda: _("My husband or wife"),
             "child": lambda: _("My son or daughter"),
             "sibling": lambda: _("My brother or sister"),
             "other": lambda: _("Another relative")}  # fmt: skip
CATEGORIES = {"poor": lambda: _("Poor household"),
              "near_poor": lambda: _("Near-poor household"),
              "merit": lambda: _("Family of a person with merit"),
              "policy": lambda: _("Social-policy family"),
              "elderly_alone": lambda: _("Elderly person living alone"),
              "disability": lambda: _("Person with a disability"),
              "other": lambda: _("Other")}  # fmt: skip
HELP = {"keypad4g": lambda: _("A 4G keypad phone"),
        "smartphone": lambda: _("A smartphone"),
        "guidance": lambda: _("Only advice on what to do")}  # fmt: skip


RELATIVE_WORDS = ("bo", "me", "cha", "ong", "ba", "vo", "chong", "con", "anh trai", "chi gai",
                  "em trai", "em gai", "nguoi nha", "nguoi than", "family", "relative")  # fmt: skip


def _pairs(labels: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(label(), value) for value, label in labels.items()]


def _labelled(labels: Mapping[str, Any]) -> Any:
    return lambda value: labels[value]() if value in labels else str(value)


def _yes_no_choices(_view: forms.FormView) -> list[tuple[str, str]]:
    return [(_("Yes"), "yes"), (_("No"), "no")]


def _for_someone_else(values: Mapping[str, Any]) -> bool:
    return values.get("who") in ("relative", "official")


def _consent_prompt(view: forms.FormView) -> str:
    return _(
        "Before I ask about the household, please read:\n"
        "• What for: so that the commune can consider the household for help with a new phone.\n"
        "• What I keep: the household head's name, phone numbers, commune and village, "
        "household category, the phone in use and the help wanted; and that you gave this "
        "consent.\n"
        "• Who sees it: the officials of the commune and of the province who run the support "
        "programme. It is not used for advertising and not sold.\n"
        "• How long: while the support programme runs. You can see, correct or erase it at "
        "any time (/hoso, /dulieu, /xoadulieu).\n"
        "• Nobody from this service will ever ask you for an OTP code, a password or a photo "
        "of an ID card.\n"
        "Do you agree?"
    )


def _steps() -> tuple[forms.Step, ...]:
    return (
        forms.Step(
            name="who",
            prompt=lambda _v: _("Who is the registration for?"),
            choices=lambda _v: _pairs(WHO),
            # Kin first ("cho mẹ tôi" holds "tôi"); pronouns such as "em" or "anh" also
            # mean "I", so only kin words count.
            parse=_by_words(
                {
                    "official": ("can bo", "official"),
                    "relative": RELATIVE_WORDS,
                    "self": ("toi", "minh", "ban than", "chinh toi", "myself", "for me"),
                }
            ),
            label=lambda: _("Registered for"),
            show=_labelled(WHO),
        ),
        forms.Step(
            name="relation",
            prompt=lambda _v: _("Who is the household head to you?"),
            choices=lambda _v: _pairs(RELATIONS),
            parse=_by_words(
                {
                    "grandparent": ("ong", "ba", "ong ba", "ong noi", "ba noi"),
                    "parent": ("bo", "me", "cha", "ba", "bo me", "cha me"),
                    "spouse": ("vo", "chong"),
                    "child": ("con", "con trai", "con gai"),
                    "sibling": ("anh", "chi", "em"),
                }
            ),
            when=lambda values: values.get("who") == "relative",
            label=lambda: _("Relation"),
            show=_labelled(RELATIONS),
        ),
        forms.Step(
            name="head_agrees",
            prompt=lambda _v: _("Does the household head agree to be registered?"),
            choices=_yes_no_choices,
            parse=_read_agreement,
            pick=_pick_agreement,
            when=_for_someone_else,
        ),
        forms.Step(
            name="consent",
            prompt=_consent_prompt,
            choices=lambda _v: [(_("I agree"), "yes"), (_("I do not agree"), "no")],
            parse=_read_consent,
            pick=_pick_consent,
        ),
        forms.Step(
            name="name",
            prompt=lambda _v: _(
                "What is the household head's full name? (for example: Lò Văn Huy)"
            ),
            parse=_read_name,
            label=lambda: _("Household head"),
        ),
        forms.Step(
            name="phone",
            prompt=lambda _v: _(
                "Which mobile number can the commune call about this? (for example: 0912 345 678)"
            ),
            parse=_read_phone,
            reads_numbers=True,
            request_phone=True,
            label=lambda: _("Contact phone"),
            show=show_phone,
        ),
        forms.Step(
            name="same_phone",
            prompt=lambda _v: _("Is this also the number of the old phone to be replaced?"),
            choices=lambda _v: [
                (_("Yes, the same number"), "same"),
                (_("No, another number"), "other"),
            ],
            parse=_read_same_phone,
        ),
        forms.Step(
            name="old_phone",
            prompt=lambda _v: _("What is the number of the old phone? (for example: 0912 345 678)"),
            parse=_read_phone,
            reads_numbers=True,
            when=lambda values: values.get("same_phone") == "other",
            label=lambda: _("Number of the old phone"),
            show=show_phone,
        ),
        forms.Step(
            name="province",
            prompt=lambda _v: _(
                "Which province does the household live in? Press the button or type the name."
            ),
            choices=_province_choices,
            parse=_read_province,
            pick=_pick_province,
            label=lambda: _("Province"),
            show=lambda value: str(value["name"]),
        ),
        forms.Step(
            name="ward",
            prompt=lambda _v: _("Which commune or ward? (for example: Chiềng Sinh)"),
            parse=_read_ward,
            pick=_pick_ward,
            label=lambda: _("Commune or ward"),
            show=lambda value: str(value["name"]),
        ),
        forms.Step(
            name="village",
            prompt=lambda _v: _("Which village, hamlet or group? (for example: Bản Hụm, or Tổ 2)"),
            parse=_read_village,
            reads_numbers=True,
            label=lambda: _("Village"),
        ),
        forms.Step(
            name="category",
            prompt=lambda _v: _("Which of these describes the household?"),
            choices=lambda _v: _pairs(CATEGORIES),
            parse=_by_words(
                {
                    "near_poor": ("can ngheo",),
                    "poor": ("ngheo",),
                    "merit": ("co cong",),
                    "policy": ("chinh sach",),
                    "elderly_alone": ("cao tuoi", "gia", "mot minh", "1 minh"),
                    "disability": ("khuyet tat", "tan tat"),
                    "other": ("khac",),
                }
            ),
            label=lambda: _("Household"),
            show=_labelled(CATEGORIES),
        ),
        forms.Step(
            name="device",
            prompt=lambda _v: _(
                "Which phone does the household use now? Type its model (for example: Nokia 1280) "
                "or its IMEI (dial *#06#), or press a button."
            ),
            choices=_device_choices,
            parse=_read_device,
            pick=_pick_device,
            reads_numbers=True,  # an IMEI, "105"
            label=lambda: _("Phone in use"),
            show=_show_device,
        ),
        forms.Step(
            name="help",
            prompt=lambda _v: _("What help would the household like?"),
            choices=lambda _v: _pairs(HELP),
            parse=_by_words(
                {  # "điện thoại thông minh 4G" is a smartphone: checked before "4g"
                    "smartphone": ("smartphone", "thong minh", "cam ung"),
                    "keypad4g": ("ban phim", "4g", "may thuong", "cuc gach"),
                    "guidance": ("huong dan", "tu van", "chi can"),
                }
            ),
            label=lambda: _("Help wanted"),
            show=_labelled(HELP),
        ),
    )


# --- starting and completing -------------------------------------------------------------


async def _extra(ctx: TurnContext, **more: Any) -> dict[str, Any]:
    """What the form keeps beside the answers: the default province and the last check."""
    extra: dict[str, Any] = dict(more)
    province = ctx.services.places.province(ctx.services.default_province_code)
    if province is not None:
        extra["default_province"] = {"code": province.code, "name": province.name}
    last = await ctx.services.devices.last(ctx.user.id)
    if last is not None and last[0]:
        extra["last_device"] = {"name": last[0], "verdict": last[1]}
    return extra


async def start(ctx: TurnContext) -> None:
    """Menu item, `/dangky`, or "register" after a verdict: begin the form."""
    await forms.start(
        ctx,
        REGISTRATION_FORM,
        extra=await _extra(ctx),
        intro=_("I will ask a few questions, one at a time. You can go back or stop at any time."),
    )


def form_values(ctx: TurnContext, view: RegistrationView) -> dict[str, Any]:
    """The form's answers for a registration, to correct it (consent was given already)."""
    details, places = view.details, ctx.services.places
    province, ward = places.province(details.province_code), places.ward(details.ward_code)
    values: dict[str, Any] = {
        "who": details.registrant,
        "consent": {"at": view.created_at.isoformat(timespec="seconds"), "kept": True},
        "name": details.head_name,
        "phone": details.contact_phone,
        "same_phone": "other" if details.old_phone else "same",
        "province": {"code": details.province_code, "name": province.name if province else ""},
        "ward": {"code": details.ward_code, "name": ward.name if ward else ""},
        "village": details.village,
        "category": details.category,
        "device": {"name": details.device_name, "verdict": details.device_verdict},
        "help": details.help_wanted,
    }
    if details.relation:
        values["relation"] = details.relation
    if details.registrant != "self":
        values["head_agrees"] = "yes"
    if details.old_phone:
        values["old_phone"] = details.old_phone
    return values


async def start_correction(ctx: TurnContext, view: RegistrationView) -> None:
    """Open the form on a registration's details, at the summary."""
    await forms.start(
        ctx,
        REGISTRATION_FORM,
        extra=await _extra(ctx, editing=view.reference),
        values=form_values(ctx, view),
        intro=_("Registration {reference}: change what is wrong, then press “Send”.").format(
            reference=view.reference
        ),
    )


def _details(values: Mapping[str, Any]) -> HouseholdDetails:
    device = values.get("device") or {}
    return HouseholdDetails(
        registrant=values["who"],
        relation=values.get("relation"),
        head_name=values["name"],
        contact_phone=values["phone"],
        old_phone=values.get("old_phone"),
        province_code=int(values["province"]["code"]),
        ward_code=int(values["ward"]["code"]),
        village=values["village"],
        category=values["category"],
        device_name=device.get("name"),
        device_verdict=device.get("verdict"),
        help_wanted=values["help"],
    )


async def _completed(ctx: TurnContext, result: forms.FormResult) -> None:
    if result.values.get("consent") == "refused":
        ctx.reply(
            _(
                "All right: nothing about the household has been stored. You can also ask "
                "for support at the People's Committee of your commune or ward."
            ),
            [official_button(), menu_button()],
        )
        return
    details = _details(result.values)
    editing = result.extra.get("editing")
    if isinstance(editing, str):
        submission = await ctx.services.registrations.correct(
            user_id=ctx.user.id, reference=editing, details=details
        )
    else:
        consent_at = datetime.fromisoformat(result.values["consent"]["at"])
        submission = await ctx.services.registrations.submit(
            user_id=ctx.user.id,
            channel=ctx.incoming.channel,
            details=details,
            consent_given_at=consent_at,
        )
    await _tell(ctx, submission, result.values)


async def _tell(ctx: TurnContext, submission: Submission, values: Mapping[str, Any]) -> None:
    """Say what the submission did, and what comes next."""
    view = submission.registration
    if submission.outcome is Outcome.NOT_FOUND or view is None:
        await on_stale_payload(ctx)
    elif submission.outcome is Outcome.CREATED:
        ctx.reply(
            _(
                "Thank you, the registration has been sent. Its code is {reference}: please "
                "keep it.\nWhat happens next: the commune checks whether the household can "
                "get support and may call {phone}. Support is not guaranteed: it depends on "
                "the programme's rules. Nobody will ask you for money, an OTP code or a "
                "password for this."
            ).format(reference=view.reference, phone=show_phone(view.details.contact_phone)),
            [my_registrations_button(), *await _reminders_offer(ctx), menu_button()],
        )
    elif submission.outcome is Outcome.UPDATED:
        ctx.reply(
            _("Registration {reference} has been corrected.").format(reference=view.reference),
            [my_registrations_button(), menu_button()],
        )
    elif submission.outcome is Outcome.DUPLICATE_OWN:
        ctx.goto(DUPLICATE, {"reference": view.reference, "values": dict(values)})
        _ask_update(
            ctx,
            _(
                "You registered this household already (same phone number and commune): "
                "{reference}, {status}. Shall I replace its details with the ones you have "
                "just given?"
            ).format(reference=view.reference, status=status_name(view.status)),
        )
    elif submission.outcome is Outcome.DUPLICATE_OTHER:
        ctx.reply(
            _(
                "This household (same phone number and commune) was already registered on "
                "{day} by another account, and its registration is being handled. Nothing "
                "new has been stored, so it is not counted twice. If its details are wrong, "
                "please tell the commune."
            ).format(day=ctx.services.clock.local_date(view.created_at).strftime("%d/%m/%Y")),
            [official_button(), menu_button()],
        )
    else:  # LOCKED
        ctx.reply(
            locked_message(view.reference),
            [official_button(), my_registrations_button(), menu_button()],
        )


async def _reminders_offer(ctx: TurnContext) -> list[Button]:
    """ "Get reminders" after a registration, for a person who does not get them yet."""
    if await ctx.services.subscriptions.current(ctx.user.id) is not None:
        return []
    return [Button(_("Get reminders"), "menu:reminders")]


def locked_message(reference: str) -> str:
    """Why a registration checked by the commune cannot be changed in the chat."""
    return _(
        "Registration {reference} has been checked by the commune already, so it can no "
        "longer be changed here. Please tell the commune what is wrong."
    ).format(reference=reference)


def _ask_update(ctx: TurnContext, intro: str) -> None:
    ctx.reply(
        intro,
        [
            Button(_("Yes, update it"), f"{PAYLOAD}:update"),
            Button(_("No, keep it as it is"), f"{PAYLOAD}:keep"),
        ],
    )


async def _on_duplicate_text(ctx: TurnContext) -> None:
    """Text typed instead of answering "update it?": ask again."""
    _ask_update(ctx, _("Shall I update the registration? Please choose one of the buttons:"))


async def on_button(ctx: TurnContext) -> None:
    """reg:update / reg:keep, after "you registered this household already"."""
    if ctx.state != DUPLICATE or ctx.args not in ("update", "keep"):
        await on_stale_payload(ctx)
        return
    reference, values = ctx.data.get("reference"), ctx.data.get("values")
    ctx.finish()
    if ctx.args == "keep" or not isinstance(reference, str) or not isinstance(values, dict):
        ctx.reply(
            _("All right, nothing has been changed."), [my_registrations_button(), menu_button()]
        )
        return
    submission = await ctx.services.registrations.correct(
        user_id=ctx.user.id, reference=reference, details=_details(values)
    )
    await _tell(ctx, submission, values)


REGISTRATION_FORM = forms.Form(
    name=FORM,
    version=1,
    title=lambda: _("the registration for support"),
    steps=_steps(),
    on_complete=_completed,
    summary=True,
    confirm_label=lambda: _("Send"),
)


def register(router: Router, form_routes: forms.FormRoutes) -> None:
    """Add this module's routes."""
    router.command("dangky", start)
    for word in ("đăng ký", "đăng ký hỗ trợ", "dang ki", "dang ky ho tro"):
        router.word(word, start)
    router.payload(PAYLOAD, on_button)
    router.state(DUPLICATE, _on_duplicate_text)
    form_routes.add(REGISTRATION_FORM)
