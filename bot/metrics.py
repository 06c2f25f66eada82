"""Prometheus metrics of one process (its own registry, so tests and workers do not mix)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.core.runner import TurnTiming

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass
class Metrics:
    """Counters the channels and the web server update."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.incoming = Counter(
            "bot_incoming_updates", "Updates received", ["channel"], registry=self.registry
        )
        self.replies = Counter(
            "bot_replies", "Replies produced", ["channel"], registry=self.registry
        )
        self.errors = Gauge(
            "bot_turn_errors", "Turns that failed and got an apology", registry=self.registry
        )
        self.latency = self._latency(
            "bot_update_seconds",
            "Time from storing an update to committing its replies, waiting included",
        )
        self.turn_work = self._latency(
            "bot_turn_seconds", "Time a turn takes once it holds a database slot"
        )
        self.turn_wait = self._latency(
            "bot_turn_wait_seconds",
            "Time an update waits for its conversation lock and a database slot",
        )
        self.sends = Counter(
            "bot_outbound_sends",
            "Messages sent, by outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )

    def _latency(self, name: str, documentation: str) -> Histogram:
        return Histogram(
            name, documentation, ["channel"], registry=self.registry, buckets=LATENCY_BUCKETS
        )

    def observe_turn(self, timing: TurnTiming) -> None:
        """Record a turn's waiting and working time (a `TurnRunner` timing observer)."""
        self.turn_wait.labels(timing.channel).observe(timing.waited_seconds)
        self.turn_work.labels(timing.channel).observe(timing.worked_seconds)
