"""Build the TAC table shipped in the package (bot/content/tac.csv) from an Osmocom export.

Usage: .venv/bin/python scripts/build_tac_table.py ../shared/data/osmocom-tacdb-2018.csv

The export is read the way `bot devices import-tac` reads it (licence banner and header
skipped, 7-digit TACs given back their leading zero, names cleaned). Brand names are written
as brands.yaml spells them ("Blackberry" → "BlackBerry"); a zero-padded 7-digit TAC is used
only where no 8-digit line gives that TAC, and a TAC still listed with two different models
is left out, since it names neither exactly. The output keeps the Osmocom licence
(CC-BY-SA 3.0): see bot/content/tac.LICENSE.md.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.devices import load_brands  # noqa: E402
from bot.services.device_names import BrandRegistry, tokens  # noqa: E402
from bot.services.tac_import import ImportSummary, TacFormat, parse_rows  # noqa: E402

OUTPUT = ROOT / "bot" / "content" / "tac.csv"


def build(source: Path, output: Path = OUTPUT) -> dict[str, int]:
    """Write the table; return what was read, written and left out."""
    registry = BrandRegistry(load_brands())
    summary = ImportSummary()
    exact: dict[str, set[tuple[str, str]]] = defaultdict(set)
    padded: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with source.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in parse_rows(iter(handle), TacFormat.OSMOCOM, summary):
            mentions = registry.mentions(tokens(row.brand))
            canonical = mentions[0].brand.name if len(mentions) == 1 else row.brand
            (padded if row.padded else exact)[row.tac].add((canonical, row.model))
    models = {**{t: m for t, m in padded.items() if t not in exact}, **exact}
    conflicting = sorted(tac for tac, names in models.items() if len(names) > 1)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("tac", "brand", "model"))
        for tac in sorted(models):
            if tac not in conflicting:
                writer.writerow((tac, *next(iter(models[tac]))))
    return {
        "lines": summary.lines,
        "skipped": summary.skipped,
        "tacs": len(models) - len(conflicting),
        "padded_tacs_not_used": sum(1 for t in padded if t in exact),
        "conflicting_tacs_left_out": len(conflicting),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Osmocom TAC export (CSV)")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    print(build(args.source, args.output))


if __name__ == "__main__":
    main()
