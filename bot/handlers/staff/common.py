"""What every staff screen shares: the names of roles and areas, the home button, and the
one answer to a registration that is not there (or not in the member's area)."""

from __future__ import annotations

from bot.core import forms
from bot.core.access import Role, StaffIdentity
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button

# Staff buttons, one prefix per route group: "st:<action>[:<argument>]" for any staff member,
# "stc:to:<status>" for those who change registrations, "sta:<action>" for admins.
PAYLOAD = "st"
CHANGE_PAYLOAD = "stc"
ADMIN_PAYLOAD = "sta"


def home_button() -> Button:
    """Back to the staff home."""
    return Button(_("Staff work"), f"{PAYLOAD}:home")


def role_name(role: Role) -> str:
    """A role in words."""
    return {
        Role.ADMIN: _("administrator"),
        Role.OFFICER: _("officer (handles registrations)"),
        Role.VIEWER: _("viewer (reads only)"),
    }[role]


def area_name(ctx: TurnContext, province_code: int | None, ward_code: int | None) -> str:
    """An area in words: a commune, a province, or everywhere."""
    return ctx.services.places.area_name(province_code, ward_code) or _("every province")


def staff_area(ctx: TurnContext, staff: StaffIdentity) -> str:
    """The member's own area in words."""
    return area_name(ctx, staff.province_code, staff.ward_code)


def require_staff(ctx: TurnContext) -> StaffIdentity:
    """The member of the turn. Staff routes are guarded by the router, so a citizen never
    gets here; this only tells the type checker."""
    staff = ctx.user.staff
    if staff is None:  # pragma: no cover - the router's guard keeps citizens out
        raise PermissionError("a staff route was reached without a staff member")
    return staff


async def read_ward(ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    """A commune typed by a member, looked up in their province (or the default one)."""
    staff = require_staff(ctx)
    province_code = staff.province_code or ctx.services.default_province_code
    match = ctx.services.places.find_ward(province_code, text)
    if len(match.found) == 1 and match.exact:
        return forms.Parsed.ok(match.found[0].code)
    if match.found:
        return forms.Parsed.pick(_("Which one?"), [(w.name, str(w.code)) for w in match.found])
    return forms.Parsed.fail(_("I could not find that commune. Please type its name again:"))


def ward_picker(any_value: str) -> forms.Picker:
    """A commune's button (or the one that stands for no commune, `any_value`) as a code."""

    async def pick(ctx: TurnContext, value: str, _view: forms.FormView) -> forms.Parsed:
        if value == any_value:
            return forms.Parsed.ok(None)
        ward = ctx.services.places.ward(int(value)) if value.isdigit() else None
        if ward is None:
            return forms.Parsed.fail(_("Please type the name of the commune or ward:"))
        return forms.Parsed.ok(ward.code)

    return pick
