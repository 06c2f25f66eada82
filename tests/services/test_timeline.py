"""Tense, countdown and hedges come from the dates and today's date."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.i18n import use_locale
from bot.services.timeline import describe, format_milestone_date, has_happened, next_milestone

pytestmark = pytest.mark.usefixtures("catalogs")


def test_2g_only_cut_before_on_and_after(content):
    cut = content.milestone("cut_2g_only")
    with use_locale("vi"):
        before = describe(cut, date(2024, 10, 4))
        assert "sẽ" in before and "còn 12 ngày nữa" in before and "16/10/2024" in before
        assert "ngày mai" in describe(cut, date(2024, 10, 15))
        assert "đã" in describe(cut, date(2024, 10, 16))
        after = describe(cut, date(2026, 11, 24))
        assert after.startswith("Từ 16/10/2024") and "đã không gọi đi, nghe gọi đến" in after
        assert "còn" not in after


def test_month_precision_countdown(content):
    network = content.milestone("network_3g_off")
    with use_locale("vi"):
        assert format_milestone_date(network) == "tháng 9/2028"
        assert "còn khoảng 3 tháng nữa" in describe(network, date(2028, 6, 10))
        assert "còn khoảng 1 tháng nữa" in describe(network, date(2028, 8, 31))


def test_the_2g_network_on_its_eve_and_after_the_report(content):
    network = content.milestone("network_2g_off")
    with use_locale("vi"):
        assert "15/9/2026 (tức là ngày mai)" in describe(network, date(2026, 9, 14))
        # From 15/9/2026 it is past: the press report is told, attributed and hedged.
        assert has_happened(network, date(2026, 9, 20))
        reported = describe(network, date(2026, 9, 20))
        assert reported.startswith("Theo báo VnExpress") and "tin báo chí" in reported
        assert "còn" not in describe(network, date(2026, 11, 24))


def test_3g_is_still_ahead_on_the_check_date(content):
    with use_locale("vi"):
        assert "còn khoảng 22 tháng nữa" in describe(
            content.milestone("network_3g_off"), date(2026, 11, 24)
        )
    with use_locale("en"):
        text = describe(content.milestone("network_3g_off"), date(2026, 11, 24))
        assert "September 2028" in text and "about 22 months to go" in text


def test_postponed_milestone_says_so(content):
    with use_locale("vi"):
        assert "lùi sang 16/10/2024" in describe(
            content.milestone("cut_2g_only_planned"), date(2026, 1, 1)
        )


def test_a_plan_whose_date_has_passed_is_not_told_as_done(content):
    """The content may be older than the day: a passed `planned` date owns its uncertainty
    and gives something to do."""
    with use_locale("vi"):
        late = describe(content.milestone("network_3g_off"), date(2028, 10, 1))
    assert "Tôi chưa có thông tin chính thức" in late
    assert "hỏi nhà mạng" in late and "gọi được qua 4G" in late
    assert "đã tắt" not in late.replace("đã tắt chưa", "") and "(còn" not in late


def test_without_a_report_a_passed_plan_keeps_its_hedge(content):
    network = content.milestone("network_2g_off").model_copy(update={"reports": ()})
    with use_locale("vi"):
        text = describe(network, date(2026, 9, 20))
    assert "Tôi chưa có thông tin chính thức" in text


def test_a_milestone_is_not_told_before_it_was_announced(content):
    assert content.milestone_on("network_3g_off", date(2024, 6, 1)) is None
    assert content.milestone_on("network_3g_off", date(2024, 7, 5)) is not None


def test_the_next_milestone_is_always_ahead(content):
    for today, expected in [
        (date(2024, 9, 1), "cut_2g_only_planned"),  # 16/9/2024, not yet postponed
        (date(2024, 9, 20), "cut_2g_only"),
        (date(2026, 12, 3), "network_3g_off"),
        (date(2028, 10, 1), None),
    ]:
        upcoming = next_milestone(content, today)
        assert (upcoming.id if upcoming else None) == expected, today


def test_before_the_postponement_was_decided_the_original_date_is_told(content):
    """TT 10/2024 moved 16/9/2024 to 16/10/2024 on 13/9/2024; before that, 16/9 was the plan."""
    with use_locale("vi"):
        early = describe(content.milestone_on("cut_2g_only", date(2024, 9, 1)), date(2024, 9, 1))
        assert "16/9/2024" in early and "còn 15 ngày nữa" in early and "16/10" not in early
        later = describe(content.milestone_on("cut_2g_only", date(2024, 9, 20)), date(2024, 9, 20))
        assert later.startswith("Từ 16/10/2024") and "còn 26 ngày nữa" in later
