"""Shared fixtures: the data root (../shared/data beside the checkout) and the Drenthe config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bereikbaar.config import Config, find_default_data_root, load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = ROOT / "data" / "drenthe.toml"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _data_root() -> Path | None:
    if os.environ.get("BEREIKBAAR_DATA"):
        return Path(os.environ["BEREIKBAAR_DATA"])
    return find_default_data_root(ROOT)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; in CI its absence fails the run instead of skipping."""
    root = _data_root()
    if root is None or not root.is_dir():
        if IN_CI:
            pytest.fail("../shared/data is missing; CI must run with shared/ beside the checkout")
        pytest.skip("../shared/data not found (set BEREIKBAAR_DATA)")
    return root


@pytest.fixture(scope="session")
def synth_dir(data_dir: Path) -> Path:
    return data_dir / "drenthe-synth"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory, worker_id: str = "master") -> Path:
    """A network cache shared by the tests of one worker (built once, then loaded)."""
    return tmp_path_factory.getbasetemp().parent / "bereikbaar-cache"


@pytest.fixture(scope="session")
def cfg(data_dir: Path, cache_dir: Path) -> Config:
    """The Drenthe config on the shared data, with a test-local network cache."""
    import dataclasses

    c = load_config(CONFIG_PATH, data_dir=data_dir)
    return c.replace(network=dataclasses.replace(c.network, cache_dir=cache_dir))
