"""Every topic and every verdict, rendered on the days that matter: the eve, the day and the day
after each milestone, and 1/9/2024, 1/6/2025, 1/12/2026 and 1/10/2028.

On each day the test reads the text a citizen would read and fails on an item shown outside
its window, a milestone told in the wrong tense (or before it was announced), a report or a
hedge out of place, a date of information after today, or a first message over 80 words. It
reads the words, not the renderer's bookkeeping, so a text that slips past the windows fails.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from bot.content.loader import FOUR_G_SOME_VERSIONS, VERDICT_TEXTS, Content, Status
from bot.core.i18n import use_locale
from bot.services.answers import AnswerRenderer
from bot.services.devices import DeviceResult, Verdict
from bot.services.timeline import format_milestone_date
from bot.services.verdict_texts import QUIZ_SOURCE, render_verdict
from tests.support.texts import word_count

pytestmark = pytest.mark.usefixtures("catalogs")
NOTICE = {"vi": "Lưu ý:", "en": "Note:"}  # how the "may be out of date" notice begins
FIXED_DAYS = (date(2024, 9, 1), date(2025, 6, 1), date(2026, 12, 1), date(2028, 10, 1))
STAMP = re.compile(r"(?:Thông tin tính đến ngày|Information as of) ([^\n]+?)\.(?:\n|$)")


def matrix_days(content: Content) -> list[date]:
    days = set(FIXED_DAYS)
    for milestone in content.milestones:
        days |= {milestone.date + timedelta(days=d) for d in (-1, 0, 1)}
    return sorted(days)


def rendered_texts(content: Content, today: date) -> list[tuple[str, str, str]]:
    """(what, first message, text behind the button) for every topic and verdict."""
    renderer = AnswerRenderer(content)
    texts = []
    for topic in content.topics:
        answer = renderer.topic(topic, today)
        texts.append((f"topic {topic.id}", answer.first, answer.more or ""))
    for verdict in VERDICT_TEXTS:
        some = verdict == FOUR_G_SOME_VERSIONS
        for source, confidence in (
            ("GSMArena", "high"),
            ("GSMArena", "medium"),
            (QUIZ_SOURCE, "low"),
        ):
            result = DeviceResult(query="", kind="model", valid=True,
                                  verdict=Verdict.FOUR_G if some else Verdict(verdict),
                                  brand="Nokia", model="1280", confidence=confidence,
                                  source=source, lte_in_some_versions=some)  # fmt: skip
            answer = render_verdict(renderer, result, today)
            texts.append((f"verdict {verdict} ({source})", answer.first, answer.more or ""))
    return texts


@pytest.fixture(scope="module")
def days(content):
    return matrix_days(content)


def test_the_matrix_covers_each_milestone_and_the_fixed_days(content, days):
    assert set(FIXED_DAYS) <= set(days)
    assert len(days) >= 3 * len(content.milestones)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_text_is_true_on_every_day(content, days, locale):
    problems: list[str] = []
    with use_locale(locale):
        for today in days:
            for what, first, more in rendered_texts(content, today):
                where = f"{today} {locale} {what}"
                problems += _stamp_problems(more, today, where)
                problems += _window_problems(content, first + "\n" + more, today, where, locale)
                problems += _tense_problems(content, first + "\n" + more, today, where, locale)
                words = word_count(first.split(NOTICE[locale])[0])  # the answer, not the notice
                if words > 80:
                    problems.append(f"{where}: first message has {words} words")
    assert not problems, "\n".join(problems[:40])


def _stamp_problems(more: str, today: date, where: str) -> list[str]:
    stamps = [_parse_day(found) for found in STAMP.findall(more)]
    if not stamps and ("Nguồn" in more or "Source" in more):
        return [f"{where}: sources without the date of the information"]
    return [f"{where}: information dated {s}, after today" for s in stamps if s > today]


def _parse_day(text: str) -> date:
    """ "3/12/2026" or "3 December 2026"."""
    if "/" in text:
        day, month, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    return datetime.strptime(text, "%d %B %Y").date()


def _window_problems(
    content: Content, text: str, today: date, where: str, locale: str
) -> list[str]:
    items = [(f"fact {f.id}", v) for f in content.facts for v in f.versions]
    items += [(f"programme {p.id}", v) for p in content.programmes for v in p.versions]
    items += [(f"scam {s.id}", s) for s in content.scams]
    items += [(f"contact {c.id}", c) for c in content.contacts]
    problems = []
    for name, item in items:
        said = (item.how if name.startswith("contact") else item.text).get(locale)
        if said in text and not item.holds_on(today):
            problems.append(f"{where}: {name} ({item.known_from}–{item.until}) is shown")
    return problems


def _tense_problems(content: Content, text: str, today: date, where: str, locale: str) -> list[str]:
    problems = []
    for m in content.milestones:
        when = format_milestone_date(m, locale)
        before = m.before.get(locale).format(date=when).rstrip(".")
        after = m.after.get(locale).format(date=when)
        decided = m.status is Status.POSTPONED and (
            m.postponed_on is None or today >= m.postponed_on
        )
        past = today >= m.date or decided
        if before in text and (past or today < m.known_from):
            problems.append(f"{where}: {m.id} told in the future ({m.date}, known {m.known_from})")
        if after in text and not past:
            problems.append(f"{where}: {m.id} told in the past before {m.date}")
        report = m.report_on(today)
        for r in m.reports:
            if r.text.get(locale) in text and (not r.holds_on(today) or today < m.date):
                problems.append(f"{where}: {m.id} report shown before it was known")
        if m.unconfirmed and m.unconfirmed.get(locale) in text and (not past or report):
            problems.append(f"{where}: {m.id} 'not confirmed' shown out of place")
    return problems


def test_the_days_are_told_as_the_content_means(content):
    """Spot checks a reader would make on the four dates of the trust issue."""
    renderer = AnswerRenderer(content)

    def first(topic: str, today: date) -> str:
        with use_locale("vi"):
            answer = renderer.topic(content.topic(topic), today)
        return answer.first + "\n" + (answer.more or "")

    early = first("timeline", date(2024, 9, 1))
    assert "16/9/2024" in early and "16/10/2024" not in early  # before TT 10/2024 moved it
    assert "không còn cấp huyện" not in first("support_register", date(2024, 9, 1))
    assert "nay là Bộ Khoa học và Công nghệ" not in first("support_eligibility", date(2024, 9, 1))
    assert "91/2025" not in first("data_privacy", date(2024, 9, 1))
    assert "91/2025" in first("data_privacy", date(2025, 7, 1))
    assert "được hỗ trợ 500.000 đồng" in first("support_eligibility", date(2025, 6, 1))
    late = first("support_eligibility", date(2026, 12, 1))
    assert "có thời hạn đến hết năm 2025" in late and "chưa biết hiện nay còn hỗ trợ" in late
    assert "xem hộ mình có trong danh sách" not in late  # no invitation to a list that ended
    assert "Theo báo VnExpress" in first("timeline", date(2026, 12, 1))
    late = first("subscribe", date(2028, 10, 1))
    assert "9/2028" not in late.split("Nguồn")[0]  # no reminder "before" a past milestone
    assert "Tôi chưa có thông tin chính thức" in first("network_3g", date(2028, 10, 1))


BARE_4G_PHONE = re.compile(
    r"(?<!giả )\b(máy|điện thoại)( bàn phím| thông minh| mới)? 4G\b"
    r"(?![^.;:\n]*(VoLTE|gọi được qua 4G))",
    re.IGNORECASE,
)


def test_advice_never_says_a_bare_4g_phone(content):
    """Since 2G went off, a 4G phone that cannot call over 4G loses its calls: advice names a 4G
    phone that calls over 4G (VoLTE), never "a 4G phone" alone."""
    texts = [(f"topic {t.id}", t.answer.vi) for t in content.topics]
    texts += [(f"topic {t.id} more", t.more.vi) for t in content.topics if t.more]
    texts += [(f"verdict {v.id}", v.answer.vi) for v in content.verdicts]
    texts += [(f"milestone {m.id} action", m.action.vi) for m in content.milestones]
    bare = [
        (where, match.group(0)) for where, text in texts for match in BARE_4G_PHONE.finditer(text)
    ]
    assert not bare, bare
