"""Provinces and communes in force since 1/7/2025 (vietnam-provinces: 34 and 3,321), and
finding one from what a person types: with or without tone marks and "xã"/"phường", with
small typos."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process

from bot.core.text import fold

_PREFIX = re.compile(r"^(?:xa|phuong|dac khu|thi tran|tinh|thanh pho|tp\.?|p\.|x\.)\s+")
# How close a typed name must be to a commune's name to be offered (0-100).
FUZZY_CUTOFF = 85
MAX_OFFERED = 4


@dataclass(frozen=True, slots=True)
class Place:
    """A province or a commune/ward, by its official code."""

    code: int
    name: str  # as officially written: "Xã Chiềng Sinh", "Sơn La"
    province_code: int

    @property
    def key(self) -> str:
        """The name folded, without its "xã"/"phường" ("chieng sinh")."""
        return _key(self.name)


def _key(text: str) -> str:
    folded = fold(text).replace("-", " ")
    return _PREFIX.sub("", folded).strip()


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """What a typed name found: one place, several to choose from, or, when the province
    has none, the provinces where a commune of that name is."""

    found: tuple[Place, ...]
    elsewhere: tuple[Place, ...] = ()
    exact: bool = False  # `found` has the typed name itself, not names close to it


class Places:
    """The administrative divisions, loaded once from vietnam-provinces."""

    @cached_property
    def provinces(self) -> dict[int, Place]:
        """Provinces by code."""
        from vietnam_provinces import Province

        return {int(p.code): Place(int(p.code), p.name, int(p.code)) for p in Province.iter_all()}

    @cached_property
    def _wards(self) -> dict[int, Place]:
        from vietnam_provinces import Ward

        return {
            int(w.code): Place(int(w.code), w.name, int(w.province_code)) for w in Ward.iter_all()
        }

    @cached_property
    def _wards_by_province(self) -> dict[int, list[Place]]:
        grouped: dict[int, list[Place]] = {}
        for ward in self._wards.values():
            grouped.setdefault(ward.province_code, []).append(ward)
        return grouped

    def wards_of(self, province_code: int) -> list[Place]:
        """The communes and wards of a province, by name."""
        return sorted(self._wards_by_province.get(province_code, []), key=lambda p: p.key)

    def province(self, code: int) -> Place | None:
        """The province with this code."""
        return self.provinces.get(code)

    def ward(self, code: int) -> Place | None:
        """The commune or ward with this code."""
        return self._wards.get(code)

    def area_name(self, province_code: int | None, ward_code: int | None) -> str:
        """An area as officials write it: "Phường Chiềng Sinh, Sơn La", "Sơn La", or "" for
        every province."""
        ward = self.ward(ward_code) if ward_code is not None else None
        if ward is not None:
            province = self.province(ward.province_code)
            return f"{ward.name}, {province.name}" if province else ward.name
        province = self.province(province_code) if province_code is not None else None
        return province.name if province else ""

    def ward_count(self) -> int:
        """How many communes and wards there are."""
        return len(self._wards)

    def find_province(self, text: str) -> tuple[Place, ...]:
        """Provinces whose name is what was typed (or close to it)."""
        return _find(text, list(self.provinces.values()))[0]

    def find_ward(self, province_code: int, text: str) -> PlaceMatch:
        """Communes of the province matching what was typed; when none does, the communes of
        that name in other provinces."""
        found, exact = _find(text, self._wards_by_province.get(province_code, []))
        if found:
            return PlaceMatch(found, exact=exact)
        key = _key(text)
        return PlaceMatch((), tuple(w for w in self._wards.values() if w.key == key))


def _find(text: str, places: list[Place]) -> tuple[tuple[Place, ...], bool]:
    """The places named exactly `text` (True), else those close to it (False)."""
    key = _key(text)
    if not key:
        return (), False
    exact = tuple(place for place in places if place.key == key)
    if exact:
        return exact, True
    scored = process.extract(
        key,
        {index: place.key for index, place in enumerate(places)},
        scorer=fuzz.ratio,
        score_cutoff=FUZZY_CUTOFF,
        limit=MAX_OFFERED,
    )
    return tuple(places[index] for _key_, _score, index in scored), False
