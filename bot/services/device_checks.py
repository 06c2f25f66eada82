"""Device checks within a turn: TAC lookups in the database, and storing each user's checks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.devices import (
    DeviceCatalogue,
    DeviceResult,
    Verdict,
    find_imei,
    read_imei,
    result_for_model,
)
from db.models import DeviceCheck
from db.repositories.devices import DeviceCheckRepository, TacRepository

TAC_SOURCE = "Osmocom TAC database (CC-BY-SA 3.0)"


class DeviceChecker:
    """Checks phones by IMEI or model name and records the checks (one per turn or command)."""

    def __init__(self, session: AsyncSession, catalogue: DeviceCatalogue) -> None:
        self._tacs = TacRepository(session)
        self._checks = DeviceCheckRepository(session)
        self.catalogue = catalogue

    async def check(self, query: str) -> DeviceResult:
        """What we can tell about the phone the text describes."""
        digits = find_imei(query)
        if digits is not None:
            return await self.check_imei(query, digits)
        result = self.catalogue.check_model(query)
        if result is not None:
            return result
        return DeviceResult(query=query, kind="unknown", valid=True, verdict=Verdict.UNKNOWN)

    async def check_imei(self, query: str, digits: str) -> DeviceResult:
        """Validate the IMEI, then look its TAC up and link it to the catalogue."""
        reading = read_imei(digits)
        if not reading.valid:
            return DeviceResult(
                query=query,
                kind="imei",
                valid=False,
                verdict=Verdict.UNKNOWN,
                imei_problem=reading.problem,
            )
        tac = reading.tac
        known = await self._tacs.get(tac) if tac else None
        if known is None:
            return DeviceResult(
                query=query, kind="imei", valid=True, verdict=Verdict.UNKNOWN, tac=tac
            )
        model = self.catalogue.by_tac_name(known.catalogue_key)
        if model is not None:
            return result_for_model(query, "imei", model, tac=tac)
        return DeviceResult(
            query=query,
            kind="imei",
            valid=True,
            verdict=Verdict.UNKNOWN,
            tac=tac,
            brand=known.brand,
            model=known.model,
            source=TAC_SOURCE,
        )

    async def record(self, *, user_id: int, result: DeviceResult, kind: str | None = None) -> None:
        """Store the check for the user (an IMEI only as its TAC)."""
        digits = find_imei(result.query) if result.kind == "imei" else None
        query = read_imei(digits).masked if digits else result.query[:200]
        await self._checks.add(
            DeviceCheck(
                user_id=user_id,
                kind=kind or result.kind,
                query=query,
                tac=result.tac,
                brand=result.brand,
                model=result.model,
                verdict=result.verdict.value,
                confidence=result.confidence,
            )
        )
