"""IMEI reading, model matching and verdicts on the shipped catalogue."""

from __future__ import annotations

import itertools

import pytest

from bot.content.devices import DeviceModel, Support, load_devices
from bot.services.device_quiz import ANSWERS, next_question, quiz_verdict
from bot.services.devices import DeviceCatalogue, Verdict, find_imei, read_imei, verdict_for


@pytest.fixture(scope="module")
def catalogue() -> DeviceCatalogue:
    return DeviceCatalogue(load_devices())


@pytest.mark.parametrize(
    "typed",
    [
        "351524041234562",
        "35 152404 123456 2",
        "35-152404-123456-2",
        "IMEI: 35152404 1234562",
        "imei cua me e la 351524041234562 nhe",
        "3515240412345601",  # 16-digit IMEISV
    ],
)
def test_imei_is_found_in_typed_text(typed):
    digits = find_imei(typed)
    assert digits is not None and digits.startswith("35152404")
    reading = read_imei(digits)
    assert reading.valid
    assert reading.tac == "35152404"
    assert reading.masked.startswith("35152404") and set(reading.masked[8:]) == {"*"}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("351524041234563", "checksum"),
        ("35152404123456", "length"),
        ("35152404123456789", "length"),
    ],
)
def test_malformed_imei_is_explained(typed, problem):
    reading = read_imei(find_imei(typed) or "")
    assert not reading.valid
    assert reading.problem == problem
    assert reading.tac is None


@pytest.mark.parametrize("typed", ["0912345678", "sdt 0987 654 321", "nam 2024", "1280"])
def test_phone_numbers_and_short_numbers_are_not_imeis(typed):
    assert find_imei(typed) is None


def model(lte: str, volte: str, umts: str = "yes", gsm: str = "yes") -> DeviceModel:
    return DeviceModel(
        brand="X",
        model="1",
        gsm=Support(gsm),
        umts=Support(umts),
        lte=Support(lte),
        volte=Support(volte),
        source="test",
        confidence="high",
    )


@pytest.mark.parametrize(
    ("entry", "verdict"),
    [
        (model("no", "no", umts="no"), Verdict.TWO_G_ONLY),
        (model("no", "no"), Verdict.NO_4G),
        (model("yes", "no"), Verdict.FOUR_G_NO_VOLTE),
        (model("yes", "yes"), Verdict.FOUR_G_VOLTE),
        (model("yes", "unknown"), Verdict.FOUR_G),
        (model("unknown", "unknown"), Verdict.UNKNOWN),
        (model("no", "no", umts="unknown"), Verdict.UNKNOWN),
    ],
)
def test_verdict_states_only_what_the_catalogue_knows(entry, verdict):
    assert verdict_for(entry) is verdict


@pytest.mark.parametrize(
    ("typed", "name", "verdict"),
    [
        ("nokia 1280", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("máy e là nokia1280", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("máy mình là Nokia 1280 mua năm 2010", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("NOKIA 1110i", "Nokia 1110i", Verdict.TWO_G_ONLY),
        ("nokia 105 4g pro", "Nokia 105 4G Pro", None),
        ("samsum galaxy j7 prime", "Samsung Galaxy J7 Prime", None),
        ("iphone 6s plus", "Apple iPhone 6s Plus", Verdict.FOUR_G_VOLTE),
        ("ip 7 plus cua bo", "Apple iPhone 7 Plus", Verdict.FOUR_G_VOLTE),
    ],
)
def test_model_names_as_people_type_them(catalogue, typed, name, verdict):
    match = catalogue.matcher.find(typed)
    assert match.kind == "found", match
    assert match.best is not None and match.best.name == name
    if verdict is not None:
        assert verdict_for(match.best) is verdict


def test_a_name_covering_different_variants_asks_which(catalogue):
    match = catalogue.matcher.find("Nokia 105")
    assert match.kind == "ambiguous"
    verdicts = {verdict_for(m) for m in match.models}
    assert Verdict.TWO_G_ONLY in verdicts and len(verdicts) > 1
    assert all("105" in m.model for m in match.models)


@pytest.mark.parametrize(
    ("typed", "kind", "brand"),
    [
        ("máy bà nội e là nokia cũ", "brand", "Nokia"),
        ("dien thoai cua bo e la samsung", "brand", "Samsung"),
        ("hôm nay 15 giờ", "none", None),
        ("tôi cần 2 cái máy", "none", None),
        ("xin chào", "none", None),
    ],
)
def test_texts_without_a_model(catalogue, typed, kind, brand):
    match = catalogue.matcher.find(typed)
    assert (match.kind, match.brand) == (kind, brand)


def all_answer_paths():
    """Every sequence of answers the quiz can receive."""
    paths = [{}]
    finished = []
    while paths:
        answers = paths.pop()
        question = next_question(answers)
        if question is None:
            finished.append(answers)
            continue
        paths.extend({**answers, question: value} for value in ANSWERS)
    return finished


def test_quiz_asks_at_most_four_questions_and_always_concludes():
    paths = all_answer_paths()
    assert len(paths) > 10
    for answers in paths:
        assert len(answers) <= 4
        outcome = quiz_verdict(answers)
        assert outcome.confidence in ("medium", "low")


def test_quiz_fake_4g_and_3g_cases():
    fake = quiz_verdict({"icon": "yes", "internet": "no", "bought": "no"})
    assert fake.verdict is Verdict.TWO_G_ONLY and fake.fake_4g_warning
    assert quiz_verdict({"icon": "no", "internet": "yes"}).verdict is Verdict.NO_4G
    volte = quiz_verdict({"icon": "yes", "internet": "yes", "hd": "yes"})
    assert volte.verdict is Verdict.FOUR_G_VOLTE
    unsure = quiz_verdict({"icon": "yes", "internet": "yes", "hd": "unknown"})
    assert unsure.verdict is Verdict.FOUR_G


def test_every_answer_combination_is_covered():
    for icon, internet in itertools.product(ANSWERS, ANSWERS):
        answers = {"icon": icon, "internet": internet}
        while (question := next_question(answers)) is not None:
            answers[question] = "unknown"
        assert isinstance(quiz_verdict(answers).verdict, Verdict)


def test_a_name_only_a_newer_4g_version_carries_is_not_taken_for_it(catalogue):
    """An old Nokia 8210 (2G) must not get the verdict of the Nokia 8210 4G."""
    match = catalogue.matcher.find("nokia 8210")
    assert match.kind == "ambiguous"


def test_tac_names_link_only_to_the_same_brand_and_name(catalogue):
    from bot.services.device_names import catalogue_key

    assert catalogue.by_tac_name(catalogue_key("Nokia", "1280")).name == "Nokia 1280"
    assert catalogue.by_tac_name(catalogue_key("Samsung", "GT-I9300")) is not None
    for brand, model in [
        ("LG", "C1200"),
        ("Nokia", "8210"),
        ("Nokia", "Lumia 800"),
        ("Sagem", "RC 730"),
    ]:
        assert catalogue.by_tac_name(catalogue_key(brand, model)) is None, (brand, model)
