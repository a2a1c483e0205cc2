"""`bereikbaar data check` on a 200,000-row AED register (issue #14: under 10 s).

Generates the register in a temporary folder by resampling the drenthe-synth AED register
(new ids, coordinates jittered by up to ~50 m, so no row is an exact duplicate), writes a
config that points at it, then times (1) reading the register alone with
``read_aed_register`` and (2) the whole ``bereikbaar data check`` command in a subprocess
(every input: boundaries, OSM, population, the three registers).

Run: python benchmarks/data_check.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, load_cfg, print_table

SYNTH = ROOT.parent / "shared" / "data" / "drenthe-synth"


def write_register(path: Path, n_rows: int, *, seed: int = 1) -> None:
    """A register of ``n_rows`` rows resampled from the drenthe-synth AED register."""
    import numpy as np

    with (SYNTH / "aed_register.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    i_id, i_lat, i_lon = header.index("id"), header.index("lat"), header.index("lon")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(body), n_rows)
    jitter = rng.uniform(-0.0005, 0.0005, (n_rows, 2))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, (p, (dlat, dlon)) in enumerate(zip(picks, jitter, strict=True)):
            row = list(body[p])
            row[i_id] = f"B-{k:07d}"
            if row[i_lat] and row[i_lon]:
                try:
                    row[i_lat] = f"{float(row[i_lat]) + dlat:.6f}"
                    row[i_lon] = f"{float(row[i_lon]) + dlon:.6f}"
                except ValueError:
                    pass  # keep the register's own broken values: they are part of the test
            w.writerow(row)


def write_config(path: Path, register: Path) -> None:
    text = (ROOT / "data" / "drenthe.toml").read_text(encoding="utf-8")
    old = 'path = "drenthe-synth/aed_register.csv"'
    assert old in text
    path.write_text(text.replace(old, f'path = "{register}"'), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    from bereikbaar.inputs.boundaries import find_area, read_provinces
    from bereikbaar.inputs.registers import read_aed_register

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        register = Path(tmp) / "aed_big.csv"
        t0 = time.perf_counter()
        write_register(register, args.rows)
        gen_s = time.perf_counter() - t0
        cfg = load_cfg()
        province = find_area(
            read_provinces(cfg.inputs.boundaries, layer=cfg.study_area.province_layer),
            cfg.study_area.province,
        ).geometry.buffer(cfg.study_area.buffer_m)
        reg = cfg.inputs.aed_register.__class__(
            **{**cfg.inputs.aed_register.__dict__, "path": register}
        )
        t0 = time.perf_counter()
        res = read_aed_register(reg, study_area=province, postcodes=cfg.inputs.postcodes)
        read_s = time.perf_counter() - t0
        results.append(
            {
                "step": "read_aed_register",
                "rows": res.rows_read,
                "used": res.rows_used,
                "rejected": res.rows_rejected,
                "time_s": read_s,
            }
        )
        config = Path(tmp) / "big.toml"
        write_config(config, register)
        cmd = [sys.executable, "-m", "bereikbaar.cli", "data", "check", "--config", str(config)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        cli_s = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
        results.append(
            {
                "step": "bereikbaar data check (all inputs)",
                "rows": args.rows,
                "used": None,
                "rejected": None,
                "time_s": cli_s,
            }
        )
    print_table(
        results,
        ["step", "rows", "used", "rejected", "time_s"],
        title=f"data check on a {args.rows:,}-row AED register (generated in {gen_s:.1f} s; "
        "target: the command under 10 s)",
    )


if __name__ == "__main__":
    main()
