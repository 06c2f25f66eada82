"""What a handler sees and does in one turn: the message, the user, the state, the replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.core.access import StaffIdentity
from bot.core.i18n import _current_locale
from bot.core.messages import Button, Incoming, Reply

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True, slots=True)
class UserInfo:
    """The user of the turn, as handlers may see them."""

    id: int
    channel: str
    external_id: str
    locale: str
    display_name: str | None
    staff: StaffIdentity | None = None  # the staff member behind this account, if any


@dataclass(slots=True)
class TurnContext:
    """State of one turn. Handlers read it, add replies and set the next state."""

    incoming: Incoming
    text: str
    user: UserInfo
    services: Services
    today: date
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    args: str = ""
    offered: tuple[Button, ...] = ()  # the buttons of the previous reply
    replies: list[Reply] = field(default_factory=list)
    locale: str = "vi"

    def reply(
        self,
        text: str,
        buttons: list[Button] | tuple[Button, ...] = (),
        *,
        request_phone: str | None = None,
    ) -> None:
        """Queue a reply to the user (`request_phone`: the label of a "share my number"
        button, where the channel has one). A button whose payload another button of the
        reply already has is dropped: two buttons to the same place confuse people."""
        unique: dict[str, Button] = {}
        for button in buttons:
            unique.setdefault(button.payload, button)
        self.replies.append(
            Reply(text=text, buttons=tuple(unique.values()), request_phone=request_phone)
        )

    def goto(self, state: str, data: dict[str, Any] | None = None) -> None:
        """Enter (or stay in) `state`, optionally replacing the form data."""
        self.state = state
        if data is not None:
            self.data = data

    def finish(self) -> None:
        """Leave the current flow and forget its form data."""
        self.state = None
        self.data = {}

    def set_locale(self, locale: str) -> None:
        """Switch the user's language, for the rest of this turn and for later turns."""
        self.locale = locale
        _current_locale.set(locale)
