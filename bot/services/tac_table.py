"""The TAC table shipped in the package (tac.csv), read at first use.

Built by `scripts/build_tac_table.py` from the Osmocom TAC database export (CC-BY-SA 3.0,
© Harald Welte 2016; see `bot/content/tac.LICENSE.md`): 8-digit TAC → brand and model. A newer
operator's file imported with `bot devices import-tac` goes to the database and is looked up
first.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

TAC_SOURCE = "Osmocom TAC database (CC-BY-SA 3.0)"


@dataclass(frozen=True, slots=True)
class TacEntry:
    """The brand and model a TAC names, and where that comes from."""

    brand: str
    model: str
    source: str = TAC_SOURCE


class PackagedTacTable:
    """TAC → model from the CSV in the package; loaded once, on the first look-up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, tuple[str, str]] | None = None
        self._lock = threading.Lock()

    def get(self, tac: str) -> TacEntry | None:
        """The model this TAC names, if the table has it."""
        found = self._loaded().get(tac)
        return TacEntry(*found) if found else None

    def __len__(self) -> int:
        return len(self._loaded())

    def _loaded(self) -> dict[str, tuple[str, str]]:
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._entries = _read(self.path)
        return self._entries


def _read(path: Path) -> dict[str, tuple[str, str]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # header
        return {tac: (brand, model) for tac, brand, model in reader}
