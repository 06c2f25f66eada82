"""Vietnamese as people type it, reduced to one comparable form.

NFC, lower case, tone marks stripped, đ→d, emoji and punctuation dropped, letters repeated
three times or more squeezed ("aloooo" → "alo"), and common abbreviations and teencode
expanded ("ko" → "khong", "dt" → "dien thoai", "sdt" → "so dien thoai").
"""

from __future__ import annotations

import re

from bot.core.text import fold

# Token → expansion, on folded text. Kept to abbreviations whose meaning is not in doubt
# in questions about phones and networks.
ABBREVIATIONS: dict[str, str] = {
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "khg": "khong",
    "kg": "khong",
    "hok": "khong",
    "hk": "khong",
    "hong": "khong",
    "hem": "khong",
    "khum": "khong",
    "dt": "dien thoai",
    "dth": "dien thoai",
    "dthoai": "dien thoai",
    "dienthoai": "dien thoai",
    "sdt": "so dien thoai",
    "stb": "so thue bao",
    "bnhieu": "bao nhieu",
    "j": "gi",
    "ji": "gi",
    "dc": "duoc",
    "dk": "dang ky",
    "dky": "dang ky",
    "ntn": "nhu the nao",
    "ns": "noi",
    "r": "roi",
    "z": "vay",
    "v": "vay",
    "ad": "admin",
    "mk": "minh",
    "mik": "minh",
    "vs": "voi",
    "bh": "bao gio",
    "bgio": "bao gio",
    "bjo": "bao gio",
    "h": "gio",
    "ng": "nguoi",
    "nc": "nuoc",
    "ak": "a",
    "uk": "u",
    "ok": "ok",
    "oke": "ok",
    "okie": "ok",
    "tks": "thanks",
    "thank": "thanks",
    "thx": "thanks",
    "cam": "cam",
    "sp": "ho tro",
    "hotro": "ho tro",
    "smartphone": "dien thoai thong minh",
    "dtdd": "dien thoai di dong",
    "nhamang": "nha mang",
    "ms": "moi",
    "nx": "nua",
    "trc": "truoc",
    "lm": "lam",
    "cx": "cung",
    "mn": "moi nguoi",
    "mng": "moi nguoi",
    "ae": "anh em",
    "fai": "phai",
    "wa": "qua",
    "nhiu": "nhieu",
    "nhju": "nhieu",
    "thui": "thoi",
    "hnay": "hom nay",
    "tl": "tra loi",
    "ntin": "nhan tin",
    "ck": "chong",
    "vk": "vo",
    "bme": "bo me",
    "vn": "viet nam",
    "onl": "online",
    "4g": "4g",
    "lte": "4g",
    "volte": "volte",
}
# "bn" is "bạn" (you) or "bao nhiêu" (how much/many); the words around it tell which.
_BN_YOU_BEFORE = frozenset({"on", "chao", "cua", "voi", "hoi", "giup", "nho"})
_BN_YOU_AFTER = frozenset(
    {"la", "ten", "oi", "co", "dang", "biet", "giup", "lam", "hieu", "noi", "tra", "nhe", "nha"}
)
_SPLIT_NETWORK = re.compile(r"(?<=[a-z])(?=[2345]g\b)|(?<=\b[2345]g)(?=[a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")


def normalize(text: str) -> str:
    """The comparable form of `text`: folded, cleaned, abbreviations expanded."""
    folded = fold(text)
    folded = _NON_WORD.sub(" ", folded)
    folded = _REPEATS.sub(r"\1", folded)
    folded = _SPLIT_NETWORK.sub(" ", folded)
    tokens = folded.split()
    return " ".join(_expand(tokens, i) for i in range(len(tokens)))


def _expand(tokens: list[str], i: int) -> str:
    token = tokens[i]
    if token == "bn":
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        you = before in _BN_YOU_BEFORE or after in _BN_YOU_AFTER
        return "ban" if you else "bao nhieu"
    return ABBREVIATIONS.get(token, token)
