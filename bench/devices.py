"""Benchmark of the device check; prints one JSON object.

- import time and peak memory (RSS of a fresh process) for the shared Osmocom export and for
  a synthetic CSV of 1,000,000 rows;
- lookups per second by IMEI (TAC in the database) and by model name (catalogue matcher).

Usage: .venv/bin/python bench/devices.py [--rows N] [--database-url URL]
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


async def lookups(url: str, seconds: float = 2.0) -> dict[str, float]:
    from bot.content.devices import load_devices
    from bot.services.device_checks import DeviceChecker
    from bot.services.devices import DeviceCatalogue
    from db.session import make_engine, make_sessionmaker

    catalogue = DeviceCatalogue(load_devices())
    engine = make_engine(url)
    names = [m.name for m in catalogue.models] + ["may cua me la nokia 1280", "samsum j7 prime"]
    tacs = ["35152404", "35693803", "35332510", "01130000"]
    imeis = []
    from stdnum import luhn

    for tac in tacs:
        body = tac + "123456"
        imeis.append(body + luhn.calc_check_digit(body))
    result: dict[str, float] = {}
    async with make_sessionmaker(engine)() as session:
        checker = DeviceChecker(session, catalogue)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)

        def url_for(name: str) -> str:
            return args.database_url or f"sqlite:///{base / name}.db"

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
    print(json.dumps(report))


if __name__ == "__main__":
    main()
