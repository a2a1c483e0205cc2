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


# ------------------------------------------------------------ validation (issue #14)
def _raw() -> dict:
    import tomllib

    return tomllib.loads(CONFIG_PATH.read_text())


def _load(raw: dict, data_dir: Path):
    from bereikbaar.config import config_from_dict

    return config_from_dict(raw, data_root=data_dir, source=CONFIG_PATH)


def _set(raw: dict, dotted: str, value) -> dict:
    *parents, last = dotted.split(".")
    node = raw
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    node[last] = value
    return raw


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "profiles.car.delay_factor",
            0,
            r"profiles\.car\.delay_factor = 0\.0 must be a number > 0",
        ),
        ("profiles.car.delay_factor", -1.5, r"profiles\.car\.delay_factor = -1\.5 must be"),
        ("profiles.walk.speed_kmh", -5.0, r"profiles\.walk\.speed_kmh = -5\.0 must be"),
        ("profiles.car.speed_kmh", 0, r"profiles\.car\.speed_kmh = 0\.0 must be a number > 0"),
        ("network.drive_speeds_kmh.primary", 0, r"network\.drive_speeds_kmh\.primary = 0\.0"),
        ("network.drive_speeds_kmh.primary", -80, r"drive_speeds_kmh\.primary = -80\.0"),
        (
            "network.drive_speeds_kmh.primary",
            "fast",
            r"drive_speeds_kmh\.primary: expected a number",
        ),
        ("network.halo_walk_m", -500, r"network\.halo_walk_m = -500\.0 must be a number >= 0"),
        ("network.halo_drive_m", -1, r"network\.halo_drive_m"),
        ("network.max_snap_m", 0, r"network\.max_snap_m = 0\.0 must be a number > 0"),
        ("hartveilig.relocate_k", -1, r"hartveilig\.relocate_k = -1 must be a number >= 0"),
        ("hartveilig.merge_distance_m", -25, r"hartveilig\.merge_distance_m = -25\.0"),
        ("hartveilig.budget_min", 0, r"hartveilig\.budget_min = 0\.0 must be a number > 0"),
        ("hartveilig.n_proposals", -3, r"hartveilig\.n_proposals"),
        ("dorpshub.village_max_min", 0, r"dorpshub\.village_max_min = 0\.0 must be a number > 0"),
        ("dorpshub.village_max_min_by_place.town", -20, r"village_max_min_by_place\.town"),
        ("dorpshub.norms.0.max_min", 0, r"dorpshub\.norms\[0\]\.max_min = 0\.0"),
        ("hartveilig.budget_min", float("nan"), r"hartveilig\.budget_min = nan"),
    ],
)
def test_out_of_range_setting_names_key_and_fix(data_dir, key, value, expected):
    with pytest.raises(ConfigError, match=expected) as exc:
        _load(_set(_raw(), key, value), data_dir)
    assert "drenthe.toml" in str(exc.value) and "set " in str(exc.value)


def test_defaults_pass_their_own_rules(cfg):
    from bereikbaar.config import Config, validate_config

    assert validate_config(cfg) is cfg
    assert isinstance(cfg, Config)


def test_misspelt_norm_service_suggests_the_right_one(data_dir):
    raw = _set(_raw(), "dorpshub.norms.1.service", "hospitaal")
    with pytest.raises(
        ConfigError, match=r"norms\[1\]\.service = 'hospitaal'.*did you mean 'hospital'"
    ):
        _load(raw, data_dir)


def test_unknown_dorpshub_service(data_dir):
    raw = _set(_raw(), "dorpshub.services", ["gp", "supermarkt"])
    with pytest.raises(
        ConfigError, match=r"services\[1\] = 'supermarkt'.*did you mean 'supermarket'"
    ):
        _load(raw, data_dir)


def test_unknown_candidate_kind(data_dir):
    raw = _set(_raw(), "hartveilig.candidate_kinds", ["school", "castle"])
    with pytest.raises(ConfigError, match=r"candidate_kinds\[1\] = 'castle' is not a known kind"):
        _load(raw, data_dir)
    raw = _set(_raw(), "hartveilig.candidate_kinds", ["schol"])
    with pytest.raises(ConfigError, match="did you mean 'school'"):
        _load(raw, data_dir)


def test_duplicate_moment_names(data_dir):
    raw = _raw()
    raw["hartveilig"]["moments"][3]["name"] = "night"
    with pytest.raises(ConfigError, match=r"moments\[3\] repeats the name 'night'"):
        _load(raw, data_dir)


@pytest.mark.parametrize("delimiter", [";;", "", '"', "\n"])
def test_register_delimiter_must_be_one_character(data_dir, delimiter):
    raw = _set(_raw(), "inputs.gp_register.delimiter", delimiter)
    with pytest.raises(
        ConfigError, match=r"inputs\.gp_register\.delimiter = .* exactly one character"
    ):
        _load(raw, data_dir)


def test_register_encoding_must_be_known(data_dir):
    raw = _set(_raw(), "inputs.aed_register.encoding", "klingon-8")
    with pytest.raises(ConfigError, match=r"encoding = 'klingon-8' is not an encoding"):
        _load(raw, data_dir)
    raw = _set(_raw(), "inputs.aed_register.encoding", "cp-1252")
    with pytest.raises(ConfigError, match="did you mean 'cp1252'"):
        _load(raw, data_dir)
    raw = _set(_raw(), "inputs.aed_register.encoding", "Windows-1252")
    assert _load(raw, data_dir).inputs.aed_register.encoding == "Windows-1252"  # an alias


def test_speed_mps_as_text(data_dir):
    raw = _set(_raw(), "profiles.aed_responder.speed_mps", "snel")
    with pytest.raises(ConfigError, match="speed_mps: expected a number"):
        _load(raw, data_dir)


@pytest.mark.parametrize("value", [-2.3, 0, float("nan"), float("inf")])
def test_speed_mps_out_of_range_names_speed_mps(data_dir, value):
    # the user wrote speed_mps; the message must not name the km/h it is converted to
    raw = _set(_raw(), "profiles.aed_responder.speed_mps", value)
    with pytest.raises(ConfigError, match=r"profiles\.aed_responder\.speed_mps = ") as exc:
        _load(raw, data_dir)
    assert "speed_kmh" not in str(exc.value) and "set profiles.aed_responder.speed_mps" in str(
        exc.value
    )


def test_notebook_overrides_are_validated(cfg):
    with pytest.raises(ConfigError, match=r"with_hartveilig\(\): hartveilig\.budget_min"):
        cfg.with_hartveilig(budget_min=-1.0)
    with pytest.raises(ConfigError, match="did you mean 'hospital'"):
        cfg.with_dorpshub(services=("hospitaal",))


def test_poi_kinds_agree_with_the_osm_reader():
    from bereikbaar.config import POI_KINDS
    from bereikbaar.inputs.osm import KINDS

    assert POI_KINDS == KINDS


def test_every_range_rule_names_a_real_field():
    import dataclasses

    from bereikbaar.config import RANGE_RULES

    for cls, rules in RANGE_RULES.items():
        names = {f.name for f in dataclasses.fields(cls)}
        assert set(rules) <= names, cls


def test_choice_settings_are_checked_after_notebook_overrides(cfg):
    with pytest.raises(ConfigError, match=r"approximate_aeds = 'maybe' must be one of"):
        cfg.with_hartveilig(approximate_aeds="maybe")
    with pytest.raises(ConfigError, match=r"unknown_availability = 'gesloten'"):
        cfg.with_hartveilig(unknown_availability="gesloten")


def test_every_sensitivity_speed_must_be_positive(cfg):
    with pytest.raises(
        ConfigError, match=r"sensitivity_speeds_mps\[0\] = 0.0 must be a number > 0"
    ):
        cfg.with_hartveilig(sensitivity_speeds_mps=(0.0, 2.3))
    assert cfg.with_hartveilig(sensitivity_speeds_mps=(1.5,)).hartveilig.sensitivity_speeds_mps == (
        1.5,
    )


@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        ("EPSG:99999", "is not a CRS pyproj knows"),
        ("EPSG:4326", "is not a projected CRS in metres"),
    ],
)
def test_study_area_crs_must_be_a_metric_projection(data_dir, crs, expected):
    raw = _set(_raw(), "study_area.crs", crs)
    with pytest.raises(ConfigError, match=expected):
        _load(raw, data_dir)
    ok = _load(_set(_raw(), "study_area.crs", "EPSG:32632"), data_dir)
    assert ok.study_area.crs == "EPSG:32632"


# ------------------------------------------- rules between settings, lists (issue #14)
@pytest.mark.parametrize(("budget", "alert"), [(1.0, 1.0), (0.5, 1.0), (6.0, 10.0)])
def test_fetch_budget_must_exceed_the_alert_delay(data_dir, budget, alert):
    raw = _set(_set(_raw(), "hartveilig.budget_min", budget), "hartveilig.alert_delay_min", alert)
    with pytest.raises(
        ConfigError, match=r"hartveilig\.budget_min = .* must exceed hartveilig\.alert_delay_min"
    ):
        _load(raw, data_dir)
    # the route and radius models do not use the budget
    assert _load(_set(raw, "hartveilig.model", "route"), data_dir).hartveilig.budget_min == budget
    # just above the alert delay is fine: (budget - alert) / 2 minutes to fetch the AED
    assert _load(_set(raw, "hartveilig.budget_min", alert + 0.1), data_dir)


def test_sensitivity_speeds_are_checked_one_by_one(data_dir):
    raw = _set(_raw(), "hartveilig.sensitivity_speeds_mps", [1.8, -2.3, 3.1])
    with pytest.raises(
        ConfigError, match=r"hartveilig\.sensitivity_speeds_mps\[1\] = -2\.3 must be a number > 0"
    ):
        _load(raw, data_dir)
    raw = _set(_raw(), "hartveilig.sensitivity_speeds_mps", [])
    assert _load(raw, data_dir).hartveilig.sensitivity_speeds_mps == ()  # no sensitivity


def test_place_kinds_must_be_known_and_not_empty(data_dir):
    raw = _set(_raw(), "dorpshub.place_kinds", ["village", "castle"])
    with pytest.raises(ConfigError, match=r"place_kinds\[1\] = 'castle' is not a known kind"):
        _load(raw, data_dir)
    raw = _set(_raw(), "dorpshub.place_kinds", ["vilage"])
    with pytest.raises(ConfigError, match="did you mean 'village'"):
        _load(raw, data_dir)
    raw = _set(_raw(), "dorpshub.place_kinds", [])
    with pytest.raises(ConfigError, match=r"dorpshub\.place_kinds is empty"):
        _load(raw, data_dir)


def test_place_kinds_include_the_dutch_words_known_kinds():
    from bereikbaar._nl import PLACE_KINDS_NL
    from bereikbaar.config import PLACE_KINDS

    assert set(PLACE_KINDS_NL) <= set(PLACE_KINDS)


def test_two_norms_for_one_service_and_profile(data_dir):
    raw = _raw()
    raw["dorpshub"]["norms"].append(dict(raw["dorpshub"]["norms"][2], max_min=20))
    last = len(raw["dorpshub"]["norms"]) - 1
    with pytest.raises(
        ConfigError, match=rf"dorpshub\.norms\[{last}\] repeats dorpshub\.norms\[2\] \(service 'gp'"
    ):
        _load(raw, data_dir)


def test_hub_ov_services_are_checked(cfg):
    """A key service of the ov_reach hubs must be a known kind, and with a feed and ov
    norms have an ov norm; an empty list (or no ov norm at all) turns the method off."""
    import dataclasses

    from bereikbaar.config import validate_config

    dh = cfg.dorpshub
    with pytest.raises(ConfigError, match=r"dorpshub.hub_ov_services\[0\].*did you mean"):
        validate_config(
            dataclasses.replace(cfg, dorpshub=dataclasses.replace(dh, hub_ov_services=("hospitl",)))
        )
    no_ov_norm = tuple(n for n in dh.norms if not (n.service == "station" and n.profile == "ov"))
    bad = dataclasses.replace(cfg, dorpshub=dataclasses.replace(dh, norms=no_ov_norm))
    assert bad.transit.gtfs is not None
    with pytest.raises(ConfigError, match="hub_ov_services names 'station', which has no ov norm"):
        validate_config(bad)
    validate_config(
        dataclasses.replace(
            cfg, dorpshub=dataclasses.replace(dh, norms=no_ov_norm, hub_ov_services=())
        )
    )
    validate_config(dataclasses.replace(bad, transit=dataclasses.replace(cfg.transit, gtfs=None)))
    # no ov norm at all: the ov_reach method is simply off
    road_only = tuple(n for n in dh.norms if n.profile != "ov")
    validate_config(dataclasses.replace(cfg, dorpshub=dataclasses.replace(dh, norms=road_only)))
