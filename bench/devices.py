"""Benchmark of the device check; prints one JSON object.

- how right the check is on the development sets bench/data/devices_dev.tsv (names) and
  imeis_dev.tsv (IMEIs), written apart from the catalogue: right, honest "I do not know", and
  confidently wrong (another brand's phone, a "keeps working" verdict for an affected phone,
  or a sure verdict that is not the expected one);
- import time and peak memory (RSS of a fresh process) for the shared Osmocom export and for
  a synthetic CSV of 1,000,000 rows;
- lookups per second by IMEI (shipped TAC table, and TACs in the database) and by model name;
- the catalogue against itself: every model typed as brand and name must come back as that
  phone or among the choices, and typed without its last or first word ("Nokia 6600" for
  the "6600 fold") must never get a sure verdict that differs from that phone's.

Usage: .venv/bin/python bench/devices.py [--rows N] [--database-url URL] [--measure-only]
Without --database-url each import goes into a new SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OSMOCOM = ROOT.parent / "shared" / "data" / "osmocom-tacdb-2018.csv"
DATA = ROOT / "bench" / "data"
BRANDS = ["Nokia", "Samsung", "Apple", "Xiaomi", "OPPO", "Masstel", "Itel", "Mobell", "Vivo"]


def write_synthetic(path: Path, rows: int) -> None:
    """tac,brand,model rows with some duplicates and quirks, like real exports."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("tac,brand,model\n")
        for i in range(rows):
            tac = 35_000_000 + (i * 7919) % 64_000_000 if i % 50 else 35_000_000 + i // 2
            brand = rng.choice(BRANDS)
            handle.write(f"{tac:08d}, {brand} ,Model {rng.randint(1, 9999)}\n")


def import_in_child(path: Path, fmt: str, url: str) -> dict[str, float]:
    """Run one import in a fresh process and read its time and peak memory."""
    code = (
        "import asyncio,json,resource,sys,time\n"
        "from pathlib import Path\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from db import migrate\n"
        "from db.session import make_engine, make_sessionmaker\n"
        "from bot.services.tac_import import TacFormat, import_tac_file\n"
        f"url={url!r}\n"
        "migrate.upgrade(url)\n"
        "async def main():\n"
        "    engine = make_engine(url)\n"
        "    start = time.perf_counter()\n"
        "    s = await import_tac_file(\n"
        f"        make_sessionmaker(engine), Path({str(path)!r}), TacFormat({fmt!r})\n"
        "    )\n"
        "    took = time.perf_counter() - start\n"
        "    await engine.dispose()\n"
        "    return s, took\n"
        "s, took = asyncio.run(main())\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': round(took, 2), 'peak_rss_mb': round(peak, 1),"
        " 'lines': s.lines, 'tacs_in_database': s.tacs_in_database, 'skipped': s.skipped}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def checker_parts():
    from bot.app import build_catalogue
    from bot.content.loader import CONTENT_DIR
    from bot.services.tac_table import PackagedTacTable

    return build_catalogue(CONTENT_DIR), PackagedTacTable(CONTENT_DIR / "tac.csv")


def load_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    header, *rows = (line.rstrip("\n").split("\t") for line in lines if line.strip())
    return [dict(zip(header, row, strict=True)) for row in rows]


AFFECTED = {"2g_only", "no_4g", "4g_no_volte"}


def judge_name(row: dict[str, str], got: dict[str, object], registry) -> str:
    """ "right"; "honest" (an open answer: unknown, or asking which variant); "sourced" (the
    writer did not know the model, the catalogue does); or "wrong" (confidently wrong)."""
    expected, verdict = row["expected"], str(got["verdict"])
    if got["brand"] and row["brand"] not in ("", "-"):
        family = {b.lower() for b in registry.family(str(got["brand"]))}
        if row["brand"].lower() not in family and not any(
            f in row["brand"].lower() for f in family
        ):
            return "wrong"  # another brand's phone
    if expected == "no_model":
        return "right" if not got["in_catalogue"] else "wrong"
    if expected == "ambiguous":
        if got["choices"]:
            return "right"
        return "honest" if verdict in ("unknown", "4g") or got["confidence"] != "high" else "wrong"
    if expected == "unknown_model":
        return "right" if verdict == "unknown" else "sourced"
    if verdict == expected or (expected == "4g" and verdict in ("4g", "4g_volte", "4g_no_volte")):
        return "right"
    if verdict == "unknown" or got["choices"]:
        return "honest"
    if expected in AFFECTED and verdict == "4g_volte":
        return "wrong"  # told that an affected phone keeps working
    if verdict == "4g" and expected in ("4g_volte", "4g_no_volte"):
        return "right"  # 4G, VoLTE left open: true and not over-sure
    return "wrong" if got["confidence"] == "high" else "honest"


def judge_imei(row: dict[str, str], got: dict[str, object], _registry) -> str:
    if row["model"] in ("not_imei", "bad_checksum"):
        return "right" if got["kind"] != "imei" or not got["valid"] else "wrong"
    if not got["model"]:
        return "honest"
    from bot.services.device_names import model_key

    same = model_key(row["brand"], row["model"]) == model_key(str(got["brand"]), str(got["model"]))
    return "right" if same else ("right" if got["in_catalogue"] and got["tac"] == row["tac"]
                                 else "wrong")  # fmt: skip


async def measure(url: str) -> dict[str, object]:
    from bot.services.device_checks import DeviceChecker
    from db.session import make_engine, make_sessionmaker

    catalogue, tacs = checker_parts()
    engine = make_engine(url)
    report: dict[str, object] = {"catalogue_models": len(catalogue.models), "tacs": len(tacs)}
    async with make_sessionmaker(engine)() as session:
        checker = DeviceChecker(session, catalogue, tacs)
        for name, path, judge in (
            ("names", DATA / "devices_dev.tsv", judge_name),
            ("imeis", DATA / "imeis_dev.tsv", judge_imei),
        ):
            if not path.exists():
                continue
            verdicts: dict[str, int] = {"right": 0, "honest": 0, "sourced": 0, "wrong": 0}
            wrong = []
            for row in load_tsv(path):
                got = (await checker.check(row["query"])).as_json()
                outcome = judge(row, got, catalogue.registry)
                verdicts[outcome] += 1
                if outcome == "wrong":
                    wrong.append(
                        f"{row['query']} -> {got['brand']} {got['model']} {got['verdict']}"
                    )
            total = sum(verdicts.values())
            report[name] = {
                "questions": total,
                "right": round(verdicts["right"] / total, 4),
                "honest_unknown_or_asks": round(verdicts["honest"] / total, 4),
                "known_to_us_not_to_the_writer": verdicts["sourced"],
                "confidently_wrong": verdicts["wrong"],
                "wrong_examples": wrong[:10],
            }
    await engine.dispose()
    return report


async def lookups(url: str, seconds: float = 2.0) -> dict[str, float]:
    from bot.services.device_checks import DeviceChecker
    from db.session import make_engine, make_sessionmaker

    catalogue, packaged = checker_parts()
    engine = make_engine(url)
    names = [m.name for m in catalogue.models] + ["may cua me la nokia 1280", "samsum j7 prime"]
    tacs = ["35152404", "35693803", "35332510", "01130000", "01194800"]
    imeis = []
    from stdnum import luhn

    for tac in tacs:
        body = tac + "123456"
        imeis.append(body + luhn.calc_check_digit(body))
    result: dict[str, float] = {}
    async with make_sessionmaker(engine)() as session:
        checker = DeviceChecker(session, catalogue, packaged)
        for label, queries in (("imei", imeis), ("model", names)):
            times = []
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                for query in queries:
                    start = time.perf_counter()
                    await checker.check(query)
                    times.append(time.perf_counter() - start)
            result[f"{label}_lookups_per_second"] = round(len(times) / sum(times))
            result[f"{label}_p50_ms"] = round(statistics.median(times) * 1000, 3)
            result[f"{label}_p99_ms"] = round(sorted(times)[int(0.99 * len(times))] * 1000, 3)
    await engine.dispose()
    return result


def self_check() -> dict[str, int]:
    """Every catalogue model typed in full, and without its last or first word."""
    from bot.services.devices import AFFECTED, MatchKind, Verdict, verdict_for

    catalogue, _ = checker_parts()
    counts = {"models": len(catalogue.models), "full_name_found": 0,
              "full_name_found_volte_left_open": 0, "full_name_offered": 0,
              "full_name_other_verdict": 0, "full_name_missed": 0, "shortened_sure": 0,
              "shortened_sure_other_verdict": 0, "shortened_told_safe_but_affected": 0}  # fmt: skip
    for model in catalogue.models:
        match = catalogue.matcher.find(f"{model.brand} {model.model}")
        if match.kind is MatchKind.FOUND and match.best is not None:
            got, own = verdict_for(match.best), verdict_for(model)
            if got is own:
                counts["full_name_found"] += 1
            elif got is Verdict.FOUR_G and own is Verdict.FOUR_G_VOLTE:
                counts["full_name_found_volte_left_open"] += 1  # a variant's VoLTE unknown
            else:
                counts["full_name_other_verdict"] += 1
        elif match.kind is MatchKind.AMBIGUOUS and model in match.models:
            counts["full_name_offered"] += 1
        else:
            counts["full_name_missed"] += 1
        words = model.model.split()
        for cut in (words[:-1], words[1:]) if len(words) > 1 else ():
            result = catalogue.check_model(f"{model.brand} {' '.join(cut)}")
            if result is None or result.kind != "model" or not result.in_catalogue:
                continue
            counts["shortened_sure"] += result.confidence == "high"
            own = verdict_for(model)
            if result.confidence == "high" and result.verdict is not own:
                counts["shortened_sure_other_verdict"] += own is not Verdict.UNKNOWN
            if own in AFFECTED and result.verdict is Verdict.FOUR_G_VOLTE:
                counts["shortened_told_safe_but_affected"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--measure-only", action="store_true", help="Only the development sets.")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)

        def url_for(name: str) -> str:
            return args.database_url or f"sqlite:///{base / name}.db"

        from db import migrate

        migrate.upgrade(url_for("empty"))
        report["development_sets"] = asyncio.run(measure(url_for("empty")))
        report["catalogue_self_check"] = self_check()
        if args.measure_only:
            print(json.dumps(report, ensure_ascii=False))
            return

        if OSMOCOM.exists():
            report["osmocom_import"] = import_in_child(OSMOCOM, "osmocom", url_for("osmocom"))
            report["lookups"] = asyncio.run(lookups(url_for("osmocom")))
        synthetic = base / "synthetic.csv"
        write_synthetic(synthetic, args.rows)
        report["synthetic_rows"] = args.rows
        report["synthetic_file_mb"] = round(synthetic.stat().st_size / 2**20, 1)
        report["synthetic_import"] = import_in_child(synthetic, "csv", url_for("synthetic"))
        small = base / "small.csv"
        write_synthetic(small, args.rows // 10)
        report["synthetic_tenth_import"] = import_in_child(small, "csv", url_for("small"))
    report["database"] = "given" if args.database_url else "sqlite (temporary file)"
    report["bench_process_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
