"""Settings: defaults < config file < AWSCONSOLE_* environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.errors import ConfigError
from console.settings import Settings, default_config_path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_there_is_no_file(tmp_path: Path):
    settings = Settings.load(tmp_path / "missing.toml", environ={})
    assert settings == Settings()


def test_file_values_and_keymap_table(tmp_path: Path):
    path = write(
        tmp_path,
        'profile = "gpu"\nregion = "eu-west-1"\nread_only = true\nrefresh_interval = 3\n'
        '[keymap]\n"view.buckets" = "b"\n"app.quit" = "q,ctrl+q"\n',
    )
    settings = Settings.load(path, environ={})
    assert (settings.profile, settings.region, settings.read_only) == ("gpu", "eu-west-1", True)
    assert settings.refresh_interval == 3.0
    assert settings.keymap == {"view.buckets": "b", "app.quit": "q,ctrl+q"}


def test_environment_wins_over_the_file(tmp_path: Path):
    path = write(tmp_path, 'region = "eu-west-1"\nread_only = true\n')
    environ = {"AWSCONSOLE_REGION": "us-west-2", "AWSCONSOLE_READ_ONLY": "no"}
    settings = Settings.load(path, environ=environ)
    assert settings.region == "us-west-2" and settings.read_only is False


def test_command_line_wins_and_none_means_not_given(tmp_path: Path):
    path = write(tmp_path, 'region = "eu-west-1"\n[templates]\ntrain = "python -m trainer"\n')
    settings = Settings.load(path, environ={}).with_overrides(region=None, read_only=True)
    assert settings.region == "eu-west-1" and settings.read_only is True
    assert settings.section("templates") == {"train": "python -m trainer"}


def test_invalid_toml_names_the_file(tmp_path: Path):
    path = write(tmp_path, "region = \n")
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={})
    assert str(path) in caught.value.message


@pytest.mark.parametrize(
    "text, setting",
    [
        ('refresh_interval = "often"\n', "refresh_interval"),
        ('keymap = "q"\n', "keymap"),
        ('read_only = "maybe"\n', "read_only"),
    ],
)
def test_a_wrong_type_names_the_setting(tmp_path: Path, text: str, setting: str):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={})
    assert repr(setting) in caught.value.message and str(path) in caught.value.message


def test_awsconsole_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWSCONSOLE_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert default_config_path() == tmp_path / "elsewhere.toml"
