"""Exporting the list on screen to Excel from the chat: the file is written in the member's
area only, audited, and sent as a document where the channel can send files."""

from __future__ import annotations

import secrets

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Attachment, Reply
from bot.handlers.staff.cases import LIST, current_filter
from bot.handlers.staff.common import home_button, require_staff
from bot.services.exports import ExportFormat
from bot.services.scopes import RegistrationFilter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# More rows than this are not written inside a chat turn: the command line does it.
CHAT_EXPORT_MAX_ROWS = 20_000
# Channels whose platform has no way to send a file (Zalo Bot: text and photos by URL only).
NO_FILES = frozenset({"zalo"})


async def export_from_chat(ctx: TurnContext) -> None:
    """`st:export`, `/xuat`: the list's filter (or everything in the area) as an XLSX file."""
    staff = require_staff(ctx)
    chosen = current_filter(ctx.data) if ctx.state == LIST else RegistrationFilter()
    if ctx.incoming.channel in NO_FILES:
        ctx.reply(
            _(
                "This chat app cannot receive files. Please export from Telegram, or ask the "
                "administrator to run: bot export registrations"
            ),
            [home_button()],
        )
        return
    count = await ctx.services.casework.count(staff, chosen)
    if count > CHAT_EXPORT_MAX_ROWS:
        ctx.reply(
            _(
                "{count} registrations are too many to send here. Please filter the list "
                "(a commune, a status), or ask the administrator to run: bot export registrations"
            ).format(count=count),
            [home_button()],
        )
        return
    folder = ctx.services.export_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    day = ctx.services.clock.local_moment(ctx.services.clock.now()).strftime("%Y%m%d-%H%M")
    name = f"dang-ky-ho-tro-{day}.xlsx"
    path = folder / f"{secrets.token_hex(8)}-{name}"
    rows = await ctx.services.casework.export(
        staff, chosen, fmt=ExportFormat.XLSX, path=path, places=ctx.services.places
    )
    ctx.replies.append(
        Reply(
            text=_(
                "The export: {count} registrations. It holds personal data: keep it safe and "
                "delete it when you no longer need it."
            ).format(count=rows),
            attachment=Attachment(path=path, filename=name, mime_type=XLSX_TYPE),
        )
    )
    ctx.reply(_("What next?"), [home_button()])
