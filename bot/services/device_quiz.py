"""At most four yes/no questions when the model is unknown, and the verdict they support.

Fake "4G" phones show the icon but cannot go online, so the internet test outranks the icon.
A missing "HD"/"VoLTE" icon during a call does not show that the phone cannot call over 4G
(some phones show none, or VoLTE is off for the SIM): it leaves VoLTE unknown, and the verdict
says how to check.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.devices import Verdict

QUESTIONS = ("icon", "internet", "bought", "hd")  # the order they may be asked in
ANSWERS = ("yes", "no", "unknown")


@dataclass(frozen=True, slots=True)
class QuizVerdict:
    """What the answers allow us to say, how sure, and why."""

    verdict: Verdict
    confidence: str
    fake_4g_warning: bool = False


def next_question(answers: dict[str, str]) -> str | None:
    """The next question to ask, or None when the answers suffice."""
    icon, internet = answers.get("icon"), answers.get("internet")
    if icon is None:
        return "icon"
    if internet is None:
        return "internet"
    if icon == "no":
        return None
    looks_4g = icon == "yes" and internet == "yes"
    if not looks_4g and "bought" not in answers:
        return "bought"
    if (looks_4g or (internet == "yes" and answers.get("bought") == "yes")) and "hd" not in answers:
        return "hd"
    return None


def _four_g(hd: str | None, confidence: str) -> QuizVerdict:
    if hd == "yes":
        return QuizVerdict(Verdict.FOUR_G_VOLTE, confidence)
    return QuizVerdict(Verdict.FOUR_G, "low" if hd == "no" else confidence)


def quiz_verdict(answers: dict[str, str]) -> QuizVerdict:
    """The verdict for complete answers (see `next_question`)."""
    icon, internet = answers.get("icon"), answers.get("internet")
    bought, hd = answers.get("bought"), answers.get("hd")
    if icon == "no":
        if internet == "yes":
            return QuizVerdict(Verdict.NO_4G, "medium")
        if internet == "no":
            return QuizVerdict(Verdict.TWO_G_ONLY, "medium")
        return QuizVerdict(Verdict.UNKNOWN, "low")
    if icon == "yes" and internet == "yes":
        return _four_g(hd, "medium")
    if internet == "yes" and bought == "yes":
        return _four_g(hd, "low")
    if internet == "no" and bought != "yes":
        return QuizVerdict(Verdict.TWO_G_ONLY, "low", fake_4g_warning=icon == "yes")
    return QuizVerdict(Verdict.UNKNOWN, "low", fake_4g_warning=icon == "yes" and internet == "no")
