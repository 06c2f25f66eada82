"""Filling the registration form as a person would (shared by tests, a worker process and
the benchmark)."""

from __future__ import annotations

from tests.support.chat import Chat

MYSELF = "Tôi (hộ của tôi)"
RELATIVE = "Người trong gia đình"


async def begin_for_myself(chat: Chat) -> None:
    """Open the form, register for one's own household, agree: the name is asked next."""
    await chat.send("/dangky")
    await chat.press(MYSELF)
    await chat.press("Tôi đồng ý")


async def fill(
    chat: Chat,
    *,
    who: str = MYSELF,
    name: str = "Lò Văn Huy",
    phone: str = "0912 345 678",
    ward: str = "chieng sinh",
    village: str = "Bản Hụm",
) -> None:
    """Answer every question up to the summary (which is then the last reply)."""
    await chat.send("/dangky")
    await chat.press(who)
    if who == RELATIVE:
        await chat.press("Bố hoặc mẹ")
    if who != MYSELF:
        await chat.press("Có")  # the household head agrees
    assert "Anh/chị có đồng ý không?" in chat.text, chat.text
    await chat.press("Tôi đồng ý")
    await chat.send(name)
    if "là câu trả lời ạ?" in chat.text:
        await chat.press(f"Tôi trả lời “{name}”")
    await chat.send(phone)
    await chat.press("Có, đúng số này")
    await chat.press("Sơn La")
    await chat.send(ward)
    await chat.send(village)
    await chat.press("Hộ nghèo")
    await chat.press("Không biết")
    await chat.press("Điện thoại phím bấm 4G")
    assert chat.text.startswith("Anh/chị kiểm tra lại:"), chat.text
