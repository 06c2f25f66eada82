"""Buttons shared by several features (built per turn, so they are in the user's language)."""

from __future__ import annotations

from bot.core.i18n import _
from bot.core.messages import Button

MENU = "menu"


def menu_button() -> Button:
    """Back to the main menu."""
    return Button(_("Main menu"), MENU)


def main_menu_buttons() -> list[Button]:
    """The six items of the main menu."""
    return [
        Button(_("Shutdown timeline"), "menu:timeline"),
        Button(_("Check my phone"), "menu:device"),
        Button(_("Register for support"), "menu:register"),
        Button(_("Get reminders"), "menu:reminders"),
        Button(_("Questions and answers"), "menu:faq"),
        Button(_("Talk to an official"), "menu:official"),
    ]
