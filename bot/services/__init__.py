"""Domain services, built per turn (or job) around one database session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.core.clock import Clock
from bot.core.normalize import normalize
from bot.core.text import mask_personal_numbers
from bot.services.audit import AuditLog
from bot.services.broadcasts import BroadcastService
from bot.services.casework import CaseworkService
from bot.services.content_gaps import ContentGaps
from bot.services.device_checks import DeviceChecker
from bot.services.devices import DeviceCatalogue
from bot.services.faq import FaqService
from bot.services.personal_data import PersonalDataService
from bot.services.places import Places
from bot.services.registrations import RegistrationService
from bot.services.staff import StaffService
from bot.services.subscriptions import SubscriptionService
from bot.services.tac_table import PackagedTacTable
from bot.services.web_access import WebAccessService
from db.repositories.faq_misses import FaqMissRepository


class MissLog:
    """Records questions the bot could not place, for staff (`bot faq misses`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._repository = FaqMissRepository(session)

    async def record(
        self, *, text: str, channel: str, best_topic: str | None, score: float
    ) -> None:
        """Store the question text, channel and time (nothing else about the person); phone,
        ID-card and other long numbers in the text are masked first."""
        text = mask_personal_numbers(text)
        await self._repository.add(
            text=text,
            normalized=normalize(text),
            channel=channel,
            best_topic=best_topic,
            score=score,
        )


@dataclass(slots=True)
class Services:
    """What handlers may use. One instance per turn; it shares the turn's session."""

    clock: Clock
    faq: FaqService
    misses: MissLog
    devices: DeviceChecker
    registrations: RegistrationService
    personal_data: PersonalDataService
    places: Places
    default_province_code: int
    staff: StaffService
    casework: CaseworkService
    export_dir: Path
    subscriptions: SubscriptionService
    broadcasts: BroadcastService
    web_access: WebAccessService
    gaps: ContentGaps
    audit: AuditLog
    console_url: str
    login_link_minutes: int


@dataclass(frozen=True, slots=True)
class ServicesFactory:
    """Builds the per-turn services from the process-wide parts."""

    faq: FaqService
    catalogue: DeviceCatalogue
    tacs: PackagedTacTable
    places: Places
    default_province_code: int
    content: Content
    export_dir: Path = Path("var/exports")
    console_url: str = "http://127.0.0.1:8080"
    login_link_minutes: int = 10

    def __call__(self, session: AsyncSession, clock: Clock) -> Services:
        return Services(
            clock=clock,
            faq=self.faq,
            misses=MissLog(session),
            devices=DeviceChecker(session, self.catalogue, self.tacs),
            registrations=RegistrationService(session),
            personal_data=PersonalDataService(session),
            places=self.places,
            default_province_code=self.default_province_code,
            staff=StaffService(session, self.places),
            casework=CaseworkService(session, ZoneInfo(clock.timezone)),
            export_dir=self.export_dir,
            subscriptions=SubscriptionService(session),
            broadcasts=BroadcastService(session, content=self.content, places=self.places),
            web_access=WebAccessService(session),
            gaps=ContentGaps(session),
            audit=AuditLog(session),
            console_url=self.console_url,
            login_link_minutes=self.login_link_minutes,
        )
