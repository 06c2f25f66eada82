"""Add to the catalogue the phones of a mobiledokan.com scrape that it lacks.

Usage: .venv/bin/python scripts/add_mobiledokan.py MOBIINFO_CHECKOUT [--dry-run]

MOBIINFO_CHECKOUT is a git checkout (or bare mirror) of khalakuzamanrony/MobiInfo, whose
`MobiInfo/Brands/*.json` hold one brand's phones each. Only brands in brands.yaml are read;
a phone is added when no catalogue row has its name or an alias of it, and a row that names
a phone without stating anything (capabilities "unknown", no source) takes the scrape's
capabilities. How a row reads the scrape ("Network & Connectivity"):

- "4G" listed: `lte` yes; `volte` yes only where the scrape says VoLTE, else unknown;
- "2G" alone: `umts`, `lte` and `volte` no;
- otherwise no 4G: `lte` no; `umts` stays unknown, since a 3G listed there was not checked
  against a second source, and a phone wrongly called 3G would be told it works until 2028.
  Such a row says no more than "I do not know this model", so it only fills a row that
  already names the phone; added, it would stand beside a better row of another label.

Phones not yet released ("Exp.", "Not announced yet") and copies that differ only in memory
("(8GB+256GB)") are left out. Rows are `medium` confidence, with the phone's page as URL.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.devices import load_brands  # noqa: E402
from bot.services.device_names import model_key, tokens  # noqa: E402

CATALOGUE = ROOT / "bot" / "content" / "devices.csv"
SOURCE = "mobiledokan.com"
_MEMORY_ONLY = re.compile(r"\s*\([^()]*(?:\d\s*[GT]B|\bRAM\b|\bROM\b)[^()]*\)\s*$", re.I)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_SAME_PHONE = frozenset({"dual", "sim", "ds", "duos", "00"})  # "N8-00" is the "N8"
_PARENTHESES = re.compile(r"\([^)]*\)")


def git_files(checkout: Path) -> dict[str, str]:
    """The brand files of the checkout's HEAD, by file name."""
    names = subprocess.run(
        ["git", "-C", str(checkout), "ls-tree", "--name-only", "HEAD", "MobiInfo/Brands/"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    files = {}
    for name in names:
        files[name] = subprocess.run(
            ["git", "-C", str(checkout), "show", f"HEAD:{name}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    return files


def capabilities(network: str, volte: str | None) -> dict[str, str]:
    """gsm, umts, lte and volte as the catalogue states them."""
    listed = {part.strip().upper() for part in network.split(",")}
    if "4G" in listed:
        said = "yes" if (volte or "").strip().lower() in {"yes", "volte"} else "unknown"
        return {"gsm": "yes", "umts": "unknown", "lte": "yes", "volte": said}
    if listed == {"2G"}:
        return {"gsm": "yes", "umts": "no", "lte": "no", "volte": "no"}
    return {"gsm": "yes", "umts": "unknown", "lte": "no", "volte": "no"}


def scraped_rows(files: dict[str, str], brands: dict[str, str], commit: str) -> list[dict]:
    """Catalogue rows for the released phones of known brands, one per name."""
    rows: dict[str, dict] = {}
    for text in files.values():
        for phone in json.loads(text).get("phones", []):
            spec = phone.get("specifications", {})
            general = spec.get("General", {})
            full = str(phone.get("name", ""))
            # The longest brand the name starts with: "Sony Ericsson Xperia Arc S" filed
            # under Sony is a Sony Ericsson.
            brand = max(
                (b for b in brands.values() if full.lower().startswith(b.lower() + " ")),
                key=len,
                default=None,
            )
            network = spec.get("Network & Connectivity", {}).get("Network")
            released = str(general.get("Release Date", ""))
            year = _YEAR.search(released)
            if not brand or not network or not year or released.startswith("Exp"):
                continue
            if not brand.lower().startswith(str(general.get("Brand", "")).lower()):
                continue  # another brand's phone filed under this one
            if _MEMORY_ONLY.search(full):
                continue  # a memory variant
            model = full[len(brand) + 1 :].strip()
            key = model_key(brand, model, keep_parentheses=True)
            rows.setdefault(key, {
                "brand": brand, "model": model, "aliases": "",
                **capabilities(network, spec["Network & Connectivity"].get("VoLTE")),
                "year": year.group(0), "source": SOURCE, "url": phone.get("url", ""),
                "confidence": "medium",
                "note": f"{SOURCE} scrape (khalakuzamanrony/MobiInfo {commit}); "
                "its 3G field not used",
            })  # fmt: skip
    return list(rows.values())


def unsourced(row: dict) -> bool:
    return not row["source"] and all(row[k] in ("unknown", "") for k in ("umts", "lte"))


def words_of(name: str) -> frozenset[str]:
    """The words of a name in any order, without SIM-count words: "Corby S3650" is the
    "S3650 Corby", "220 Dual SIM" the "220"."""
    return frozenset(tokens(_PARENTHESES.sub(" ", name))) - _SAME_PHONE


def codes_of(name: str) -> set[str]:
    """Letter-and-digit model codes of 4+ characters ("s3650", "ku990"), which name one
    phone whatever words stand around them."""
    return {w for w in tokens(name) if len(w) >= 4 and re.search(r"\d", w) and re.search(
        r"[a-z]", w)}  # fmt: skip


def merge(catalogue: list[dict], scraped: list[dict]) -> tuple[int, int]:
    """Fill unsourced rows and append missing phones in place; return (filled, added)."""
    names: dict[str, dict] = {}
    shapes: dict[tuple[str, frozenset[str]], dict] = {}
    codes: dict[tuple[str, str], dict] = {}
    for row in catalogue:
        for name in (row["model"], *filter(None, row["aliases"].split("|"))):
            for keep in (True, False):
                names.setdefault(model_key(row["brand"], name, keep_parentheses=keep), row)
            shapes.setdefault((row["brand"], words_of(name)), row)
            for code in codes_of(name):
                codes.setdefault((row["brand"], code), row)
    filled = added = 0
    for new in scraped:
        brand, model = new["brand"], new["model"]
        known = names.get(model_key(brand, model, keep_parentheses=True))
        known = known or names.get(model_key(brand, model))
        if known is not None:
            if unsourced(known):
                for field in ("gsm", "umts", "lte", "volte", "year", "source", "url"):
                    known[field] = new[field]
                known["confidence"] = new["confidence"]
                known["note"] = new["note"] + "; was: written from memory, not sourced"
                filled += 1
            continue
        if (brand, words_of(model)) in shapes or any((brand, c) in codes for c in codes_of(model)):
            continue  # the same phone under another label
        if new["lte"] == "no" and new["umts"] == "unknown":
            continue  # states too little to be worth a row
        catalogue.append(new)
        added += 1
    return filled + fill_from_labelled(catalogue, scraped), added


_CAPABILITIES = ("gsm", "umts", "lte", "volte")


def fill_from_labelled(catalogue: list[dict], scraped: list[dict]) -> int:
    """A row written from memory ("Redmi Note 13") whose phone the scrape lists only with a
    network label ("Redmi Note 13 4G", "… 5G") takes what all of those state alike: the
    name on the box is one of them."""
    labelled: dict[tuple[str, str], list[dict]] = {}
    for new in scraped:
        words = tokens(new["model"])
        if words and words[-1] in ("4g", "5g"):
            key = (new["brand"], " ".join(words[:-1]))
            labelled.setdefault(key, []).append(new)
    filled = 0
    for row in catalogue:
        variants = labelled.get((row["brand"], " ".join(tokens(row["model"]))))
        if not unsourced(row) or not variants:
            continue
        for field in _CAPABILITIES:
            values = {v[field] for v in variants}
            row[field] = values.pop() if len(values) == 1 else "unknown"
        row.update(source=SOURCE, url=variants[0]["url"], confidence="medium")
        names = ", ".join(v["model"] for v in variants)
        row["note"] = f"{variants[0]['note']}; what {names} all state; was: not sourced"
        filled += 1
    return filled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "-C", str(args.checkout), "rev-parse", "--short=8", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    brands = {b.name.lower(): b.name for b in load_brands()}
    scraped = scraped_rows(git_files(args.checkout), brands, commit)
    with CATALOGUE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, catalogue = list(reader.fieldnames or ()), list(reader)
    filled, added = merge(catalogue, scraped)
    print(json.dumps({"scraped": len(scraped), "filled": filled, "added": added}))
    if not args.dry_run:
        with CATALOGUE.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(catalogue)


if __name__ == "__main__":
    main()
