import pytest

from bot.core.normalize import normalize


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Điện thoại của bà có bị tắt KHÔNG???", "dien thoai cua ba co bi tat khong"),
        ("dt cua ba co bi tat ko", "dien thoai cua ba co bi tat khong"),
        ("đt bà hok gọi đc", "dien thoai ba khong goi duoc"),
        ("sdt me e", "so dien thoai me e"),
        ("tat song 2g bh z ad", "tat song 2g bao gio vay admin"),
        ("alooooo 😀😀 ai do k", "alo ai do khong"),
        ("máy2g", "may 2g"),
        ("  ", ""),
        # "bn" is "bạn" or "bao nhiêu", by the words around it.
        ("bn ten gi the", "ban ten gi the"),
        ("cam on bn nhe", "cam on ban nhe"),
        ("ho tro bn tien", "ho tro bao nhieu tien"),
        ("gia bn", "gia bao nhieu"),
    ],
)
def test_normalize(typed, expected):
    assert normalize(typed) == expected
