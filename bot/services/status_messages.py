"""What a registration's status is called, and the message that tells its citizen of a
change: in the citizen's language, with the reference code and the next step."""

from __future__ import annotations

from bot.core.i18n import _, use_locale
from bot.core.messages import Button, Reply
from bot.services.phones import show_phone


def status_name(status: str) -> str:
    """A registration's status in words (in the current language)."""
    return {
        "submitted": _("sent, waiting for the commune to check it"),
        "verified": _("checked by the commune"),
        "approved": _("support approved"),
        "rejected": _("not approved"),
        "handed_over": _("phone handed over"),
        "withdrawn": _("withdrawn"),
    }.get(status, status)


def _text(status: str, *, reference: str, phone: str, reason: str | None) -> str:
    if status == "verified":
        return _(
            "Registration {reference}: the commune has checked the household's details. Next, "
            "the commune decides on support; you will be told the result here."
        ).format(reference=reference)
    if status == "approved":
        return _(
            "Registration {reference}: support for the household has been approved. The commune "
            "will call {phone} to arrange the phone. Nobody will ask you for money, an OTP code "
            "or a password for this."
        ).format(reference=reference, phone=phone)
    if status == "rejected":
        return _(
            "Registration {reference}: support has not been approved. Reason: {reason}\nIf you "
            "think this is wrong, please contact the People's Committee of your commune."
        ).format(reference=reference, reason=reason or "-")
    if status == "handed_over":
        return _(
            "Registration {reference}: the household has received its phone. Thank you! Put "
            "your old SIM in the new phone to keep your number; if it cannot call, ask the "
            "commune or your operator's store."
        ).format(reference=reference)
    return _("Registration {reference} is now: {status}.").format(
        reference=reference, status=status_name(status)
    )


def status_message(
    status: str, *, reference: str, contact_phone: str, reason: str | None, locale: str
) -> Reply:
    """The message telling a citizen that their registration is now `status`, in `locale`."""
    with use_locale(locale):
        return Reply(
            text=_text(status, reference=reference, phone=show_phone(contact_phone), reason=reason),
            buttons=(Button(_("My registrations"), "menu:mine"), Button(_("Main menu"), "menu")),
        )
