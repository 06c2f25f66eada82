"""Reading IMEIs, matching model names, and verdicts on the shipped catalogue."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import build_catalogue
from bot.content.devices import DeviceModel, Support
from bot.content.loader import CONTENT_DIR
from bot.services.device_names import BrandRegistry, model_key, tokens
from bot.services.device_quiz import ANSWERS, next_question, quiz_verdict
from bot.services.devices import (
    DeviceCatalogue,
    MatchKind,
    Verdict,
    verdict_confidence,
    verdict_for,
)
from bot.services.imei import NumberKind, read_number
from bot.services.tac_table import PackagedTacTable


@pytest.fixture(scope="module")
def catalogue() -> DeviceCatalogue:
    return build_catalogue(CONTENT_DIR)


@pytest.mark.parametrize(
    "typed",
    [
        "351524041234562",
        "35 152404 123456 2",
        "35-152404-123456-2",
        "35.152404.123456.2",
        "IMEI: 35152404 1234562",
        "imei cua me e la 351524041234562 nhe",
        "3515240412345601",  # 16-digit IMEISV
        "351524041234562/01",  # IMEI/SV as *#06# shows it
        "IMEI1: 351524041234562",
        "IMEI1:351524041234562 IMEI2:351524041234570",  # a dual-SIM phone: the first
        "351524/04/123456/2",  # the old printed layout
        "３５１５２４０４１２３４５６２",  # full-width digits
        "IMEI：３５１５２４０４ １２３４５６２",
        "35152404123456201",  # IMEI and software version typed together
    ],
)
def test_imei_is_found_as_phones_show_it(typed):
    reading = read_number(typed)
    assert reading is not None and reading.kind is NumberKind.IMEI, reading
    assert reading.valid
    assert reading.tac == "35152404"
    assert reading.masked.startswith("35152404") and set(reading.masked[8:]) == {"*"}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("351524041234563", "checksum"),
        ("35152404123456", "length"),
        ("3515240412345", "length"),
        ("351524041234567890", "length"),
    ],
)
def test_malformed_imei_is_explained(typed, problem):
    reading = read_number(typed)
    assert reading is not None and reading.problem == problem
    assert reading.tac is None


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("0912345678", NumberKind.PHONE),
        ("sdt 0987 654 321", NumberKind.PHONE),
        ("+84 912 345 678", NumberKind.PHONE),
        ("số máy bàn 0212 3852 123", NumberKind.PHONE),
        ("001089012345", NumberKind.ID_CARD),
        ("căn cước của bố em 034 056 012 345", NumberKind.ID_CARD),
    ],
)
def test_phone_and_id_numbers_are_not_mistyped_imeis(typed, kind):
    assert read_number(typed).kind is kind


@pytest.mark.parametrize("typed", ["nam 2024", "1280", "xin chào", "15/9/2026"])
def test_short_numbers_are_no_numbers_to_read(typed):
    assert read_number(typed) is None


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


def test_an_open_verdict_is_never_high_confidence():
    assert verdict_confidence(Verdict.FOUR_G, "high") == "medium"
    assert verdict_confidence(Verdict.UNKNOWN, "high") == "low"
    assert verdict_confidence(Verdict.TWO_G_ONLY, "high") == "high"


@pytest.mark.parametrize(
    ("typed", "name", "verdict"),
    [
        ("nokia 1280", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("máy e là nokia1280", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("máy mình là Nokia 1280 mua năm 2010", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("bà tôi 75 tuổi có 2 máy nokia 1280", "Nokia 1280", Verdict.TWO_G_ONLY),
        ("NOKIA 1110i", "Nokia 1110i", Verdict.TWO_G_ONLY),
        ("Sony Ericsson K800i", "Sony Ericsson K800", Verdict.NO_4G),
        ("SE k800i", "Sony Ericsson K800", Verdict.NO_4G),
        ("Sony Ericsson T610", "Sony Ericsson T610", Verdict.TWO_G_ONLY),
        ("LG KG800", "LG KG800", Verdict.TWO_G_ONLY),
        ("moto c115", "Motorola C115", Verdict.TWO_G_ONLY),
        ("Motorola RAZR V3", "Motorola RAZR V3", Verdict.TWO_G_ONLY),
        ("samsung GT-I9300", "Samsung I9300 Galaxy S III", Verdict.NO_4G),
        ("iphone 6s plus", "Apple iPhone 6s Plus", Verdict.FOUR_G_VOLTE),
        ("ip 7 plus cua bo", "Apple iPhone 7 Plus", Verdict.FOUR_G_VOLTE),
        ("iPhone 3GS", "Apple iPhone 3GS", Verdict.NO_4G),
        # Two names of one phone, each holding one of the numbers typed.
        ("sm-n900 note 3", "Samsung Galaxy Note 3", Verdict.FOUR_G),
        ("galaxy z flip 5", "Samsung Galaxy Z Flip5", Verdict.FOUR_G_VOLTE),  # "flip5" apart
        # "S21 Ultra" leaves out only "5G": a 4G phone whichever it is, VoLTE left open.
        ("samsung s21 ultra", "Samsung Galaxy S21 Ultra 5G", Verdict.FOUR_G),
        # A name said in full: not the "6600 fold" or "6600 slide", which are no worse off.
        ("nokia 6600", "Nokia 6600", Verdict.TWO_G_ONLY),
    ],
)
def test_model_names_as_people_type_them(catalogue, typed, name, verdict):
    match = catalogue.matcher.find(typed)
    assert match.kind is MatchKind.FOUND, match
    assert match.best is not None and match.best.name == name
    assert verdict_for(match.best) is verdict


def test_gt_i9300_and_gt_i9305_are_different_phones(catalogue):
    s3, s3_lte = catalogue.matcher.find("GT-I9300").best, catalogue.matcher.find("gt-i9305").best
    assert s3 is not None and s3_lte is not None and s3 != s3_lte
    assert verdict_for(s3) is Verdict.NO_4G and s3_lte.lte is Support.YES


@pytest.mark.parametrize("typed", ["GT-N7100", "SM-G530H", "sm-n900 note 3", "galaxy note 2"])
def test_4g_of_a_page_covering_3g_and_4g_codes_is_never_told_as_sure(catalogue, typed):
    """GSMArena lists 4G on the Galaxy Note II page, but GT-N7100 is the 3G version and
    GT-N7105 the 4G one: the owner hears that some versions have 4G, and how to check."""
    result = catalogue.check_model(typed)
    assert result is not None and result.lte_in_some_versions, typed
    assert (result.verdict, result.confidence, result.text_id) == (
        Verdict.FOUR_G,
        "low",
        "4g_some_versions",
    )


def test_only_rows_of_several_codes_of_a_mixed_time_are_marked(catalogue):
    marked = {m.name for m in catalogue.models if m.lte_in_some_versions}
    assert "Samsung Galaxy Note II N7100" in marked
    assert "Samsung Galaxy S20" not in marked  # 2020: every code has 4G
    assert not any(m.brand != "Samsung" for m in catalogue.models if m.lte_in_some_versions)
    for model in catalogue.models:
        if model.lte_in_some_versions:
            assert model.lte is Support.YES and len(model.model_codes) >= 2
            assert model.year is None or model.year <= 2016


@pytest.mark.parametrize(
    ("typed", "brand"),
    [
        ("Sony Ericsson K800i", "Sony Ericsson"),
        ("LG KG800", "LG"),
        ("Sony Ericsson T610", "Sony Ericsson"),
        ("lg 1280", "LG"),
        ("siemens 1100", "Siemens"),
        ("masstel 105", "Masstel"),
        ("itel 3310", "Itel"),
        ("mobiistar 6300", "Mobiistar"),
    ],
)
def test_never_another_brands_phone(catalogue, typed, brand):
    match = catalogue.matcher.find(typed)
    assert match.brand == brand
    assert all(m.brand in catalogue.registry.family(brand) for m in match.models), match


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_brand_named_keeps_the_match_to_that_brand(catalogue, data):
    """Any brand, any catalogue model's number: a phone of another brand never comes back."""
    brand = data.draw(st.sampled_from(catalogue.registry.brands))
    entry = data.draw(st.sampled_from(catalogue.models))
    number = data.draw(st.sampled_from([t for t in tokens(entry.model)] or ["1"]))
    text = f"máy {brand.name} {number}"
    match = catalogue.matcher.find(text)
    named = catalogue.registry.mentions(catalogue.registry.split_glued(tokens(text)))
    allowed = {b for m in named for b in catalogue.registry.family(m.brand.name)}  # "razr2" too
    assert all(m.brand in allowed for m in match.models), (brand.name, number, match)


@pytest.mark.parametrize(
    "typed", ["2 máy này", "tôi cần 2 cái máy", "hôm nay 15 giờ", "xin chào", "mua hết 1200k"]
)
def test_numbers_that_name_no_phone(catalogue, typed):
    assert catalogue.matcher.find(typed).kind is MatchKind.NONE


def test_a_model_number_is_a_whole_token(catalogue):
    """K800i is not the 800 Tough, T610 is not a Galaxy (SM-G610F), "2 máy" is not the J2."""
    for typed in ("k800i", "t610", "2 máy"):
        for found in catalogue.matcher.find(typed).models:
            assert found.model not in ("800 Tough", "Galaxy J7 Prime", "Galaxy J2"), typed


@pytest.mark.parametrize(
    ("typed", "kind", "brand"),
    [
        ("máy bà nội e là nokia cũ", MatchKind.BRAND, "Nokia"),
        ("dien thoai cua bo e la samsung", MatchKind.BRAND, "Samsung"),
        ("khi nao se tat song", MatchKind.NONE, None),  # "sẽ" is not Sony Ericsson
        ("sim viettel cua toi", MatchKind.NONE, None),  # the operator, not the phone brand
        ("máy viettel của mẹ", MatchKind.BRAND, "Viettel"),
    ],
)
def test_texts_without_a_model(catalogue, typed, kind, brand):
    match = catalogue.matcher.find(typed)
    assert (match.kind, match.brand) == (kind, brand)


def test_a_full_model_name_the_catalogue_lacks_is_named_as_typed(catalogue):
    match = catalogue.matcher.find("máy của bà là Nokia 9999X")
    assert (match.kind, match.brand, match.typed_model) == (
        MatchKind.UNKNOWN_MODEL,
        "Nokia",
        "9999X",
    )


@pytest.mark.parametrize(
    ("typed", "model"),
    [
        ("máy masstel Fami 60", "Fami 60"),
        ("nokia đời cũ 9999x", "9999x"),
        ("nokia lumia 9999", "lumia 9999"),
    ],
)
def test_an_unknown_model_keeps_its_model_words(catalogue, typed, model):
    """Staff see "Masstel Fami 60" in the misses, not "Masstel 60"; "đời cũ" is no model."""
    match = catalogue.matcher.find(typed)
    assert (match.kind, match.typed_model) == (MatchKind.UNKNOWN_MODEL, model)


def test_a_feature_phone_code_with_a_letter_more_or_less_is_hedged_2g(catalogue):
    """E1200Y is a version of the E1200, E1080 of the E1080T: said, with "có thể", only
    because every such phone is 2G-only; a smartphone code is not guessed this way."""
    for typed, model in (("samsung gt-e1200y", "Guru E1200"), ("samsun e1080", "E1080T")):
        result = catalogue.check_model(typed)
        assert result is not None and result.model == model, typed
        assert result.verdict is Verdict.TWO_G_ONLY and result.confidence == "medium"
    assert catalogue.matcher.find("samsung sm-g530x").kind is MatchKind.UNKNOWN_MODEL


def test_a_name_covering_different_variants_asks_which(catalogue):
    match = catalogue.matcher.find("Nokia 105")
    assert match.kind is MatchKind.AMBIGUOUS
    verdicts = {verdict_for(m) for m in match.models}
    assert Verdict.TWO_G_ONLY in verdicts and len(verdicts) > 1
    assert all("105" in m.model for m in match.models)
    old, new = catalogue.matcher.find("nokia 8210"), catalogue.matcher.find("nokia 3310")
    assert old.kind is MatchKind.AMBIGUOUS and new.kind is MatchKind.AMBIGUOUS


def test_a_name_said_in_full_still_asks_when_a_longer_one_is_worse_off(catalogue):
    """ "Galaxy S4" may be an S4 mini without 4G: its owner is asked, never told it is fine."""
    for typed in ("samsung galaxy s4", "lg g3"):
        match = catalogue.matcher.find(typed)
        assert match.kind is MatchKind.AMBIGUOUS, typed
        assert {verdict_for(m) for m in match.models} & {Verdict.NO_4G, Verdict.TWO_G_ONLY}


def test_a_name_said_in_full_is_hedged_when_a_longer_one_differs(catalogue):
    """ "Nokia 3120" is the 2G 3120, but the 3G "3120 classic" goes by that name too."""
    result = catalogue.check_model("nokia 3120")
    assert result is not None and result.model == "3120"
    assert result.verdict is Verdict.TWO_G_ONLY and result.confidence != "high"
    assert catalogue.check_model("nokia 1280").confidence == "high"  # one phone of that name


@pytest.mark.parametrize(
    ("typed", "newer"), [("nokia 2660", "2660 Flip"), ("nokia 800", "800 Tough")]
)
def test_an_old_name_asks_when_a_4g_phone_shares_it(catalogue, typed, newer):
    """The owner of a 2660 Flip (4G) who typed "nokia 2660" is not told the phone is 2G."""
    match = catalogue.matcher.find(typed)
    assert match.kind is MatchKind.AMBIGUOUS
    assert newer in {m.model for m in match.models}


def test_the_catalogue_covers_the_phones_older_people_own(catalogue):
    assert len(catalogue.models) >= 600
    for typed in ("nokia 1100", "nokia 1200", "nokia 1202", "nokia 1208", "nokia 1600",
                  "nokia 2600 classic", "nokia 2700 classic", "nokia 3110 classic",
                  "nokia 5130", "nokia c2-01", "nokia c3-00", "nokia x2-01", "nokia n70",
                  "nokia e71", "nokia lumia 520", "samsung e1200", "samsung b310e",
                  "samsung c3322", "samsung s5610", "motorola v3x", "blackberry 9900",
                  "nokia 105 4g", "nokia 215 4g", "nokia 6300 4g", "iphone 15"):  # fmt: skip
        assert catalogue.matcher.find(typed).kind is MatchKind.FOUND, typed


def test_tac_names_link_only_to_the_same_brand_and_name(catalogue):
    assert catalogue.for_tac_model("Nokia", "1280").name == "Nokia 1280"
    assert catalogue.for_tac_model("Apple", "iPhone 3GS").model == "iPhone 3GS"
    assert catalogue.for_tac_model("Apple", "iPhone 4S (A1387)").model == "iPhone 4S"
    assert catalogue.for_tac_model("Ericsson", "T610").brand == "Sony Ericsson"  # one family
    for brand, model_name in [("LG", "1280"), ("Sagem", "RC 730"), ("Acme", "1280")]:
        assert catalogue.for_tac_model(brand, model_name) is None, (brand, model_name)


def test_the_shipped_tac_table_names_the_iphone_3gs_exactly():
    """Osmocom lists 01194800 as the iPhone 3GS and "1194800" as the iPhone 4: the exact TAC
    wins over the one a spreadsheet lost its zero from."""
    table = PackagedTacTable(CONTENT_DIR / "tac.csv")
    assert len(table) > 20_000
    assert (table.get("01194800").brand, table.get("01194800").model) == ("Apple", "iPhone 3GS")
    assert table.get("99999999") is None


def test_brand_families_are_symmetric_and_spellings_are_one_brand(catalogue):
    registry: BrandRegistry = catalogue.registry
    assert "Sony Ericsson" in registry.family("Sony")
    assert "Sony" in registry.family("Sony Ericsson")
    assert model_key("Blackberry", "9900") == model_key("BlackBerry", "9900")


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


def test_no_hd_icon_is_not_a_no_volte_verdict():
    """Some phones show no "HD" icon, or VoLTE is off for the SIM: VoLTE stays unknown."""
    outcome = quiz_verdict({"icon": "yes", "internet": "yes", "hd": "no"})
    assert outcome.verdict is Verdict.FOUR_G and outcome.confidence == "low"


def test_every_answer_combination_is_covered():
    for icon, internet in itertools.product(ANSWERS, ANSWERS):
        answers = {"icon": icon, "internet": internet}
        while (question := next_question(answers)) is not None:
            answers[question] = "unknown"
        assert isinstance(quiz_verdict(answers).verdict, Verdict)
