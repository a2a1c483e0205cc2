"""Fetch the web assets that offline maps need into ``vendor/web/`` (run by ``make assets``).

The packages and their pinned versions are :data:`bereikbaar._web_assets.WEB_PACKAGES`
(Leaflet). Each is fetched once from the npm registry with ``npm pack
<package>@<version>`` and unpacked to ``vendor/web/<package>/``; ``vendor/web/manifest.json``
records the versions and the tarballs' integrity hashes. Running it again does nothing when
the manifest already lists the pinned versions and the files are present.

Usage::

    python scripts/fetch_map_assets.py [--dest vendor/web] [--force]

The destination defaults to ``$BEREIKBAAR_ASSETS`` or ``<repo>/vendor/web``. Needs ``npm``
(Node.js) on the PATH; nothing else reaches the network.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    from bereikbaar._web_assets import (
        ONLINE_ASSETS,
        REQUIRED_FILES,
        WEB_PACKAGES,
        sri_sha256,
        web_asset_dir,
    )
except ImportError:  # run before `pip install -e .`: use the source tree
    sys.path.insert(0, str(ROOT / "src"))
    from bereikbaar._web_assets import (
        ONLINE_ASSETS,
        REQUIRED_FILES,
        WEB_PACKAGES,
        sri_sha256,
        web_asset_dir,
    )

MANIFEST = "manifest.json"


class FetchError(RuntimeError):
    """Fetching or unpacking an asset failed; the message says how to fix it."""


def _read_manifest(dest: Path) -> dict:
    path = dest / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _up_to_date(dest: Path, package: str, version: str, manifest: dict) -> bool:
    entry = manifest.get("packages", {}).get(package, {})
    if entry.get("version") != version:
        return False
    return all((dest / f).is_file() for f in REQUIRED_FILES if f.startswith(package + "/"))


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(
            "npm is not installed; install Node.js and npm (Debian: `apt-get install npm`) "
            "and run `make assets` again"
        )
    return npm


def _fetch(package: str, version: str, dest: Path) -> dict:
    """``npm pack`` one package and unpack it to ``dest/<package>``; return its manifest entry."""
    npm = _npm()
    spec = f"{package}@{version}"
    with tempfile.TemporaryDirectory(prefix="bereikbaar-assets-") as tmp:
        tmp_path = Path(tmp)
        proc = subprocess.run(
            [npm, "pack", spec, "--json", "--ignore-scripts", "--pack-destination", tmp],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise FetchError(
                f"`npm pack {spec}` failed (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-800:]}\nIs the npm registry reachable?"
            )
        try:
            info = json.loads(proc.stdout)[0]
        except (json.JSONDecodeError, IndexError, KeyError) as exc:
            raise FetchError(f"`npm pack {spec}` printed no JSON: {proc.stdout[:300]!r}") from exc
        tarball = tmp_path / info["filename"]
        unpacked = tmp_path / "unpacked"
        with tarfile.open(tarball, "r:gz") as tar:
            tar.extractall(unpacked, filter="data")
        src = unpacked / "package"
        if not src.is_dir():
            raise FetchError(f"{tarball.name} has no package/ folder")
        target = dest / package
        staging = dest / f".{package}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(src, staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return {
        "version": version,
        "integrity": info.get("integrity"),
        "shasum": info.get("shasum"),
        "tarball": info.get("filename"),
    }


def fetch_assets(dest: Path, *, force: bool = False) -> list[str]:
    """Make ``dest`` hold :data:`WEB_PACKAGES`; return the packages fetched (empty: up to date)."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(dest)
    packages = dict(manifest.get("packages", {}))
    fetched = []
    for package, version in WEB_PACKAGES.items():
        if not force and _up_to_date(dest, package, version, manifest):
            continue
        packages[package] = _fetch(package, version, dest)
        fetched.append(f"{package}@{version}")
    missing = [f for f in REQUIRED_FILES if not (dest / f).is_file()]
    if missing:
        raise FetchError(f"after fetching, {dest} still lacks {', '.join(missing)}")
    for asset in ONLINE_ASSETS:  # the files online maps load by SRI must be these very bytes
        if sri_sha256((dest / asset.file).read_bytes()) != asset.integrity:
            raise FetchError(
                f"{dest / asset.file} does not match its pinned integrity hash "
                f"{asset.integrity}; run again with --force"
            )
    if fetched or not manifest:
        text = json.dumps({"packages": packages}, indent=2, sort_keys=True) + "\n"
        tmp = dest / f".{MANIFEST}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(dest / MANIFEST)
    return fetched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=None, help="default: vendor/web")
    parser.add_argument("--force", action="store_true", help="fetch even when up to date")
    args = parser.parse_args(argv)
    dest = (args.dest or web_asset_dir()).resolve()
    try:
        fetched = fetch_assets(dest, force=args.force)
    except FetchError as exc:
        print(f"fetch_map_assets: {exc}", file=sys.stderr)  # noqa: T201 (a CLI script)
        return 1
    if fetched:
        print(f"fetched {', '.join(fetched)} into {dest}")  # noqa: T201
    else:
        print(f"map assets up to date in {dest}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
