"""Milestones told correctly for a given day: tense, countdown and hedges come from the dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from bot.content.loader import Content, Milestone, Precision, Source, Status
from bot.core.i18n import _, _n, current_locale

COUNT_DAYS_UP_TO = 60


def format_milestone_date(milestone: Milestone, locale: str | None = None) -> str:
    """ "16/10/2024" or "tháng 9/2026" in Vietnamese; "16 October 2024" or "September 2026"."""
    locale = locale or current_locale()
    day = milestone.date
    if locale == "vi":
        if milestone.precision is Precision.MONTH:
            return f"tháng {day.month}/{day.year}"
        return f"{day.day}/{day.month}/{day.year}"
    pattern = "MMMM y" if milestone.precision is Precision.MONTH else "d MMMM y"
    return format_date(day, pattern, locale="en")


def format_day(day: date, locale: str | None = None) -> str:
    """A plain date in the user's language."""
    locale = locale or current_locale()
    if locale == "vi":
        return f"{day.day}/{day.month}/{day.year}"
    return format_date(day, "d MMMM y", locale="en")


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def has_happened(milestone: Milestone, today: date) -> bool:
    """True from the milestone's day. A month-precision milestone is shown as its month, but
    its `date` is the planned day when one is known (the 2G network was to stay up until
    15/9/2026): from that day on, the plan is told in the past, with its hedge."""
    return today >= milestone.date


def countdown(milestone: Milestone, today: date) -> str:
    """ "còn 12 ngày nữa", "ngày mai", "trong tháng này", "còn khoảng 22 tháng nữa"."""
    if milestone.precision is Precision.MONTH:
        months = _months_between(today, milestone.date)
        if months <= 0:
            return _("expected this month")
        return _n("about {n} month to go", "about {n} months to go", months).format(n=months)
    days = (milestone.date - today).days
    if days == 1:
        return _("tomorrow")
    if days <= COUNT_DAYS_UP_TO:
        return _n("{n} day to go", "{n} days to go", days).format(n=days)
    months = max(2, round(days / 30.4))
    return _n("about {n} month to go", "about {n} months to go", months).format(n=months)


@dataclass(frozen=True, slots=True)
class Told:
    """A milestone's sentence for a day, and the sources it states."""

    text: str
    sources: tuple[Source, ...]


def tell(milestone: Milestone, today: date) -> Told:
    """The milestone's sentence for `today` in the current language, with its sources.

    Before its date: the plan and a countdown. From its date: the past-tense sentence; a
    plan nobody has confirmed keeps its hedge and its advice (`unconfirmed`), unless a report
    is known by then, which is told instead, attributed as the content words it."""
    locale = current_locale()
    when = format_milestone_date(milestone, locale)
    postponed = milestone.status is Status.POSTPONED and (
        milestone.postponed_on is None or today >= milestone.postponed_on
    )
    if not (has_happened(milestone, today) or postponed):
        sentence = milestone.before.get(locale).format(date=when)
        return Told(f"{sentence.rstrip('.')} ({countdown(milestone, today)}).", (milestone.source,))
    sentence = milestone.after.get(locale).format(date=when)
    if milestone.status not in (Status.UNCONFIRMED, Status.PLANNED):
        return Told(sentence, (milestone.source,))
    report = milestone.report_on(today)
    if report is not None:
        return Told(report.text.get(locale), (milestone.source, report.source))
    hedge = milestone.unconfirmed.get(locale) if milestone.unconfirmed else ""
    return Told(f"{sentence} {hedge}".strip(), (milestone.source,))


def describe(milestone: Milestone, today: date) -> str:
    """The milestone's sentence for `today`, in the current language."""
    return tell(milestone, today).text


def next_milestone(content: Content, today: date) -> Milestone | None:
    """The next milestone citizens are reminded of that is ahead, as known on `today` (on
    1/9/2024 that is the 16/9/2024 plan, not yet moved to 16/10/2024)."""
    known = (content.milestone_on(m.id, today) for m in content.milestones if m.reminders)
    ahead = [m for m in known if m is not None and m.date > today]
    return min(ahead, key=lambda m: m.date) if ahead else None
