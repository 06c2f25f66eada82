"""Subscribing to reminders and announcements ("Nhận nhắc nhở", `/nhacnho`), with a one-line
consent and an area (the whole country, a province, or the commune of a registration), and
ending it at any time: "dừng", `/huy`, or the button under every such message."""

from __future__ import annotations

from typing import Any

from bot.core import forms
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Router
from bot.handlers.buttons import menu_button
from bot.handlers.common import on_stale_payload
from bot.services.subscriptions import SubscriptionView

FORM = "sub"
PAYLOAD = "sub"
EVERYWHERE = "all"


def reminders_button() -> Button:
    """Open the subscription."""
    return Button(_("Get reminders"), "menu:reminders")


def _area_name(ctx: TurnContext, view: SubscriptionView) -> str:
    area = ctx.services.places.area_name(view.province_code, view.ward_code)
    return area or _("the whole country")


def _area_choices(view: forms.FormView) -> list[tuple[str, str]]:
    offered = view.extra.get("areas") or []
    return [(str(label), str(value)) for label, value in offered]


async def _areas(ctx: TurnContext) -> list[list[str]]:
    """The areas offered: the commune of the latest registration, the province (of it, or
    the default one), and the whole country."""
    places = ctx.services.places
    areas: list[list[str]] = []
    registrations = await ctx.services.registrations.mine(ctx.user.id)
    province_code = ctx.services.default_province_code
    if registrations:
        details = registrations[0].details
        ward = places.ward(details.ward_code)
        if ward is not None:
            areas.append(
                [_("{commune} (where I registered)").format(commune=ward.name), f"w:{ward.code}"]
            )
        province_code = details.province_code
    province = places.province(province_code)
    if province is not None:
        areas.append([_("Province: {name}").format(name=province.name), f"p:{province.code}"])
    areas.append([_("The whole country"), EVERYWHERE])
    return areas


def _consent_prompt(_view: forms.FormView) -> str:
    return _(
        "I will write to you before each switch-off date and when the commune or the province "
        "has news about it, never at night. I keep only that you want these messages and the "
        "area you chose. Type “dừng” at any time to stop them. Do you agree?"
    )


async def _pick_consent(_ctx: TurnContext, value: str, _view: forms.FormView) -> forms.Parsed:
    return forms.Parsed.ok(value, finish=value != "yes")


async def _read_consent(ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    from bot.core.normalize import normalize

    said = normalize(text)
    if said.startswith(("khong", "no")):
        return await _pick_consent(ctx, "no", view)
    if said in ("co", "yes", "ok", "dong y", "toi dong y", "vang", "da"):
        return await _pick_consent(ctx, "yes", view)
    return forms.Parsed.fail(_("Please press “I agree” or “No”:"))


async def _completed(ctx: TurnContext, result: forms.FormResult) -> None:
    if result.values.get("consent") != "yes":
        ctx.reply(_("All right, I will not send you reminders."), [menu_button()])
        return
    area = str(result.values.get("area") or EVERYWHERE)
    kind, _sep, code = area.partition(":")
    province_code = ward_code = None
    if kind == "w" and (ward := ctx.services.places.ward(int(code))) is not None:
        province_code, ward_code = ward.province_code, ward.code
    elif kind == "p" and code.isdigit():
        province_code = int(code)
    view = await ctx.services.subscriptions.subscribe(
        ctx.user.id, province_code=province_code, ward_code=ward_code
    )
    ctx.reply(
        _(
            "Done: you will get reminders and announcements for {area}. To stop them, type "
            "“dừng” or press the button under any of them."
        ).format(area=_area_name(ctx, view)),
        [menu_button()],
    )


SUBSCRIBE_FORM = forms.Form(
    name=FORM,
    version=1,
    title=lambda: _("getting reminders"),
    steps=(
        forms.Step(
            name="area",
            prompt=lambda _v: _("Reminders and news for which area?"),
            choices=_area_choices,
        ),
        forms.Step(
            name="consent",
            prompt=_consent_prompt,
            choices=lambda _v: [(_("I agree"), "yes"), (_("No"), "no")],
            parse=_read_consent,
            pick=_pick_consent,
        ),
    ),
    on_complete=_completed,
)


async def start(ctx: TurnContext) -> None:
    """`/nhacnho`, the menu item: subscribe, or see the subscription and stop it."""
    view = await ctx.services.subscriptions.current(ctx.user.id)
    if view is not None:
        ctx.finish()
        ctx.reply(
            _("You get reminders and announcements for {area}.").format(area=_area_name(ctx, view)),
            [
                Button(_("Stop these messages"), f"{PAYLOAD}:stop"),
                Button(_("Change the area"), f"{PAYLOAD}:change"),
                menu_button(),
            ],
        )
        return
    extra: dict[str, Any] = {"areas": await _areas(ctx)}
    await forms.start(ctx, SUBSCRIBE_FORM, extra=extra)


async def stop(ctx: TurnContext) -> bool:
    """End the user's subscription and say so; False (nothing said) when there is none."""
    if not await ctx.services.subscriptions.unsubscribe(ctx.user.id):
        return False
    ctx.finish()
    ctx.reply(
        _("You will no longer get reminders or announcements."),
        [Button(_("Get them again"), "menu:reminders"), menu_button()],
    )
    return True


async def on_button(ctx: TurnContext) -> None:
    """`sub:stop` (under every broadcast, and on the subscription), `sub:change`."""
    if ctx.args == "stop":
        if not await stop(ctx):
            ctx.reply(
                _("You do not get reminders at the moment."), [reminders_button(), menu_button()]
            )
    elif ctx.args == "change":
        await forms.start(ctx, SUBSCRIBE_FORM, extra={"areas": await _areas(ctx)})
    else:
        await on_stale_payload(ctx)


def register(router: Router, form_routes: forms.FormRoutes) -> None:
    """Add this module's routes."""
    router.command("nhacnho", start)
    for word in ("nhận nhắc nhở", "nhắc nhở", "nhận tin nhắc"):
        router.word(word, start)
    router.payload(PAYLOAD, on_button)
    form_routes.add(SUBSCRIBE_FORM)
