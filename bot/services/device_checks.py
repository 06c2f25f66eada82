"""Device checks within a turn: TAC look-ups, and storing each user's checks and our misses."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import mask_personal_numbers
from bot.services.devices import DeviceCatalogue, DeviceResult, Verdict, result_for_model
from bot.services.imei import NumberKind, NumberReading, read_number
from bot.services.tac_table import PackagedTacTable, TacEntry
from db.models import DeviceCheck, DeviceMiss
from db.repositories.devices import DeviceCheckRepository, DeviceMissRepository, TacRepository

_IMEI_KINDS = (NumberKind.IMEI, NumberKind.IMEI_LENGTH)


class DeviceChecker:
    """Checks phones by IMEI or model name and records the checks (one per turn or command)."""

    def __init__(
        self, session: AsyncSession, catalogue: DeviceCatalogue, tacs: PackagedTacTable
    ) -> None:
        self._imported = TacRepository(session)
        self._checks = DeviceCheckRepository(session)
        self._misses = DeviceMissRepository(session)
        self._packaged = tacs
        self.catalogue = catalogue

    async def check(self, query: str) -> DeviceResult:
        """What we can tell about the phone the text describes."""
        reading = read_number(query)
        if reading is not None and reading.kind in _IMEI_KINDS:
            return await self.check_imei(query, reading)
        result = self.catalogue.check_model(query)
        if result is not None:
            return result
        if reading is not None:  # a phone or ID-card number: not an IMEI
            return DeviceResult(query=query, kind=reading.kind.value, valid=False,
                                verdict=Verdict.UNKNOWN)  # fmt: skip
        return DeviceResult(query=query, kind="unknown", valid=True, verdict=Verdict.UNKNOWN)

    async def check_imei(self, query: str, reading: NumberReading) -> DeviceResult:
        """Look the IMEI's TAC up (an imported file first, then the shipped table) and link
        the model it names to the catalogue, by the same brand and name only."""
        tac = reading.tac
        if tac is None:
            return DeviceResult(query=query, kind="imei", valid=False, verdict=Verdict.UNKNOWN,
                                imei_problem=reading.problem)  # fmt: skip
        entry = await self.tac_entry(tac)
        if entry is None:
            return DeviceResult(query=query, kind="imei", valid=True, verdict=Verdict.UNKNOWN,
                                tac=tac)  # fmt: skip
        model = self.catalogue.for_tac_model(entry.brand, entry.model)
        if model is not None:
            return result_for_model(query, "imei", model, tac=tac)
        return DeviceResult(query=query, kind="imei", valid=True, verdict=Verdict.UNKNOWN,
                            tac=tac, brand=entry.brand, model=entry.model,
                            source=entry.source)  # fmt: skip

    async def tac_entry(self, tac: str) -> TacEntry | None:
        """The model a TAC names: an operator's imported file wins over the shipped table."""
        imported = await self._imported.get(tac)
        if imported is not None:
            return TacEntry(imported.brand, imported.model, imported.source)
        return self._packaged.get(tac)

    async def record(self, *, user_id: int, result: DeviceResult, kind: str | None = None) -> None:
        """Store the check for the user (an IMEI only as its TAC)."""
        await self._checks.add(
            DeviceCheck(
                user_id=user_id,
                kind=kind or result.kind,
                query=stored_query(result),
                tac=result.tac,
                brand=result.brand,
                model=result.model,
                verdict=result.verdict.value,
                confidence=result.confidence,
            )
        )

    async def last(self, user_id: int) -> tuple[str | None, str] | None:
        """The user's latest check: the phone's name (None after the questions without a
        model) and its verdict."""
        checks = await self._checks.for_user(user_id)
        if not checks:
            return None
        check = checks[0]
        name = f"{check.brand} {check.model}" if check.brand and check.model else check.model
        return name, check.verdict

    async def record_miss(self, *, channel: str, result: DeviceResult) -> None:
        """Keep a phone we could not judge for staff: a model name the catalogue lacks, or an
        IMEI whose model has no verdict."""
        await self._misses.add(
            DeviceMiss(
                kind="imei" if result.kind == "imei" else "model",
                brand=result.brand,
                model=result.model,
                tac=result.tac,
                text=stored_query(result),
                channel=channel,
            )
        )


def stored_query(result: DeviceResult) -> str:
    """What is kept of the text: an IMEI as its TAC and stars, other numbers masked."""
    reading = read_number(result.query) if result.kind == "imei" else None
    if reading is not None:
        return reading.masked
    return mask_personal_numbers(result.query)[:200]
