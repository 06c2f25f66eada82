from bot.core.text import (
    clean_input,
    fold,
    mask_personal_numbers,
    mask_phone_numbers,
    strip_marks,
)


def test_strip_marks_maps_d_with_stroke_explicitly():
    assert strip_marks("Điện thoại đời cũ") == "Dien thoai doi cu"
    assert fold("  KIỂM   tra ĐT ") == "kiem tra dt"


def test_fold_handles_decomposed_input():
    decomposed = "Hu\u0309y"  # "Hủy" typed with a combining hook
    assert fold(decomposed) == "huy"


def test_clean_input_drops_control_and_format_characters():
    assert clean_input("\u200ehi\x00 there\u202e\n") == "hi there"
    assert clean_input("line1\nline2") == "line1\nline2"


def test_mask_phone_numbers():
    assert mask_phone_numbers("so cua me 0912345678 nhe") == "so cua me *******678 nhe"
    assert mask_phone_numbers("+84 912 345 678") == "********678"
    assert mask_phone_numbers("IMEI 351524041234562") == "IMEI 351524041234562"


def test_mask_personal_numbers():
    text = "me e 0912 345 678, cccd 012345678901, imei 356938035643809, nam 2024"
    assert mask_personal_numbers(text) == (
        "me e *******678, cccd *********901, imei ************809, nam 2024"
    )
