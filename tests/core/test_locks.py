import asyncio

from bot.core.locks import KeyedLocks


async def test_same_key_is_serialised_and_lock_is_dropped_afterwards():
    locks = KeyedLocks()
    events: list[str] = []

    async def work(name: str, key: str) -> None:
        async with locks.hold(key):
            events.append(f"{name}+")
            await asyncio.sleep(0.01)
            events.append(f"{name}-")

    await asyncio.gather(work("a", "k"), work("b", "k"))
    assert events in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])
    assert len(locks) == 0


async def test_different_keys_run_together():
    locks = KeyedLocks()
    events: list[str] = []

    async def work(name: str) -> None:
        async with locks.hold(name):
            events.append(f"{name}+")
            await asyncio.sleep(0.01)
            events.append(f"{name}-")

    await asyncio.gather(work("a"), work("b"))
    assert events[:2] == ["a+", "b+"]
