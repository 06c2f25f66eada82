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


def guarded_router() -> Router:
    router = make_router()
    staff = router.guarded("staff")
    staff.command("canbo", _b)
    staff.payload("st", _b)
    staff.state("st.list", _b)
    staff.word("việc cán bộ", _b)
    return router


def test_a_guarded_route_is_what_its_group_holds_see():
    router = guarded_router()
    holder = frozenset({"staff"})
    assert router.resolve(text="/canbo", payload=None, state=None, groups=holder).handler is _b
    assert router.resolve(text="x", payload="st:home", state=None, groups=holder).handler is _b
    assert router.resolve(text="viec can bo", payload=None, state=None, groups=holder).handler is _b
    assert router.allows("state", "st.list", holder)


def test_without_the_group_a_guarded_route_answers_as_if_it_did_not_exist():
    router = guarded_router()
    unknown = router.resolve(text="/canbo", payload=None, state=None)
    assert (unknown.handler, unknown.args) == (router.on_unknown_command, "canbo")
    assert (
        router.resolve(text="x", payload="st:home", state=None).handler is router.on_stale_payload
    )
    assert router.resolve(text="việc cán bộ", payload=None, state=None).handler is router.on_text
    assert not router.allows("state", "st.list", frozenset({"other"}))
    assert router.allows("state", None, frozenset()) and router.allows(
        "state", "form.ask", frozenset()
    )
