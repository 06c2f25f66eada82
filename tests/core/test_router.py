from bot.core.router import Router


async def _a(ctx):  # pragma: no cover - never awaited here
    ...


async def _b(ctx):  # pragma: no cover
    ...


async def _c(ctx):  # pragma: no cover
    ...


def make_router() -> Router:
    router = Router()
    router.on_text = _a
    router.on_empty = _a
    router.on_unknown_command = _a
    router.on_stale_payload = _a
    router.command("start", _b)
    router.word("hủy", _c)
    router.payload("menu", _b)
    router.state("form.ask", _c)
    return router


def test_payload_wins_over_everything():
    route = make_router().resolve(text="hủy", payload="menu:faq", state="form.ask")
    assert route.handler is _b
    assert route.args == "faq"


def test_global_word_wins_over_state():
    assert make_router().resolve(text="HUY", payload=None, state="form.ask").handler is _c


def test_command_with_bot_name_and_arguments():
    route = make_router().resolve(text="/Start@SonLaBot hello", payload=None, state=None)
    assert route.handler is _b
    assert route.args == "hello"


def test_unknown_command_and_stale_payload_and_state():
    router = make_router()
    assert router.resolve(text="/nope", payload=None, state=None).args == "nope"
    assert router.resolve(text="x", payload="zzz:1", state=None).handler is _a
    assert router.resolve(text="an", payload=None, state="form.ask").handler is _c
    assert router.resolve(text="an", payload=None, state="gone.state").handler is _a
