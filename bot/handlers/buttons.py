"""Buttons shared by several features (built per turn, so they are in the user's language)."""

from __future__ import annotations

from bot.core.i18n import _
from bot.core.messages import Button

MENU = "menu"
OFFICIAL = "faq:human_agent"  # the one "talk to an official" destination


def menu_button() -> Button:
    """Back to the main menu."""
    return Button(_("Main menu"), MENU)


def official_button() -> Button:
    """Where to find a person: one button, whatever offers it."""
    return Button(_("Where to ask"), OFFICIAL)


def more_button(payload: str, *, details: bool) -> Button:
    """ "Xem thêm" when details sit behind it, "Nguồn" when only the sources do."""
    return Button(_("More") if details else _("Sources"), payload)


def register_button() -> Button:
    """Open the registration form."""
    return Button(_("Register for support"), "menu:register")


def my_registrations_button() -> Button:
    """The user's registrations."""
    return Button(_("My registrations"), "menu:mine")


def main_menu_buttons() -> list[Button]:
    """The items of the main menu: only what the bot can do today."""
    return [
        Button(_("Shutdown timeline"), "menu:timeline"),
        Button(_("Check my phone"), "menu:device"),
        register_button(),
        Button(_("Questions and answers"), "menu:faq"),
        Button(_("Get reminders"), "menu:reminders"),
        my_registrations_button(),
        official_button(),
    ]
