from pathlib import Path

import pytest

from bereikbaar.config import load_config, slugify
from bereikbaar.errors import BereikbaarError, ConfigError

from .conftest import CONFIG_PATH


def test_drenthe_config_resolves_paths(cfg, data_dir):
    assert (
        cfg.inputs.osm.resolve() == (data_dir / "drenthe-synth" / "drenthe-synth.osm.pbf").resolve()
    )
    assert cfg.inputs.osm.is_file()
    assert cfg.inputs.aed_register.columns["availability"] == "beschikbaarheid"
    # 2.3 m/s from the TOML's speed_mps, carried as km/h and back
    assert cfg.profile("aed_responder").speed_mps == pytest.approx(2.3)
    assert [m.name for m in cfg.hartveilig.moments] == [
        "weekday_day",
        "weekday_evening",
        "night",
        "sunday",
    ]
    assert cfg.hartveilig.moments[3].weekday == 6
    assert cfg.hartveilig.moments[2].minute_of_day == 180


def test_unknown_key_names_key_and_valid_ones(tmp_path: Path, data_dir):
    text = CONFIG_PATH.read_text().replace("budget_min = 6.0", "budget_mins = 6.0")
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(p, data_dir=data_dir)
    msg = str(exc.value)
    assert "budget_mins" in msg and "budget_min" in msg and "valid keys" in msg
    assert isinstance(exc.value, BereikbaarError) and isinstance(exc.value, ValueError)


def test_unknown_profile_reference(tmp_path: Path, data_dir):
    text = CONFIG_PATH.read_text().replace('hub_profile = "ebike"', 'hub_profile = "e-bike"')
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="did you mean 'ebike'"):
        load_config(p, data_dir=data_dir)


def test_wrong_type_is_reported(tmp_path: Path, data_dir):
    text = CONFIG_PATH.read_text().replace("budget_min = 6.0", 'budget_min = "zes"')
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="budget_min: expected a number"):
        load_config(p, data_dir=data_dir)


def test_data_root_from_env(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("BEREIKBAAR_DATA", str(tmp_path))
    c = load_config(CONFIG_PATH)
    assert c.data_root == tmp_path.resolve()
    assert c.inputs.osm == tmp_path.resolve() / "drenthe-synth" / "drenthe-synth.osm.pbf"


def test_data_dir_argument_wins(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("BEREIKBAAR_DATA", "/nonexistent")
    c = load_config(CONFIG_PATH, data_dir=tmp_path)
    assert c.data_root == tmp_path.resolve()


def test_with_hartveilig_copies(cfg):
    c2 = cfg.with_hartveilig(budget_min=8.0)
    assert c2.hartveilig.budget_min == 8.0 and cfg.hartveilig.budget_min == 6.0


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Aa en Hunze", "aa-en-hunze"),
        ("Borger-Odoorn", "borger-odoorn"),
        ("Súdwest-Fryslân", "sudwest-fryslan"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug
