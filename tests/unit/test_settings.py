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


# --- mistakes are named ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, wrong, nearest",
    [
        ("readonly = true\n", "'readonly'", "'read_only'"),
        ("read-only = true\n", "'read-only'", "'read_only'"),
        ('regoin = "eu-west-1"\n', "'regoin'", "'region'"),
        ("refresh = 3\n", "'refresh'", "'refresh_interval'"),
        ('[job]\ntmux_socket = "x"\n', "'job'", "'jobs'"),
        ('[jobs]\ntmux_sock = "x"\n', "key of [jobs] 'tmux_sock'", "'tmux_socket'"),
        ('[jobs]\nhost = ["gpu"]\n', "key of [jobs] 'host'", "'hosts'"),
        ("[gpu]\ninterval = 500\n", "key of [gpu] 'interval'", "'interval_ms'"),
        ("[idle]\nthreshold = 5\n", "key of [idle] 'threshold'", "'threshold_percent'"),
        ('[transfer]\nstream = "auto"\n', "key of [transfer] 'stream'", "'streams'"),
        ('[instances]\nssh_usr = "ubuntu"\n', "key of [instances] 'ssh_usr'", "'ssh_user'"),
        ('[doctor]\npyhton = "python3"\n', "key of [doctor] 'pyhton'", "'python'"),
        (
            '[templates."t"]\ncomand = ["true"]\n',
            """key of [templates."t"] 'comand'""",
            "'command'",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_nearest_known_one(tmp_path, text, wrong, nearest):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={})
    message = caught.value.message
    assert str(path) in message
    assert f"unknown {'setting ' if 'key of' not in wrong else ''}{wrong}" in message
    assert f"did you mean {nearest}?" in message
    assert "\n" not in message and caught.value.hint is None  # one line


def test_a_misspelled_read_only_never_leaves_the_session_writable(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'read_only'"):
        Settings.load(write(tmp_path, "readonly = true\n"), environ={})


def test_a_key_far_from_every_known_one_lists_them(tmp_path):
    with pytest.raises(ConfigError) as caught:
        Settings.load(write(tmp_path, "zzzzzz = 1\n"), environ={})
    assert "'zzzzzz'" in caught.value.message and "read_only" in caught.value.message


def test_every_mistake_of_a_file_is_named_at_once(tmp_path):
    path = write(tmp_path, 'readonly = true\nregoin = "x"\n[gpu]\ninterval = 5\n')
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={})
    for name in ("'readonly'", "'regoin'", "'interval'"):
        assert name in caught.value.message


def test_a_table_given_as_a_value_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"\[jobs\] must be a table"):
        Settings.load(write(tmp_path, "jobs = 3\n"), environ={})


def test_every_known_key_of_every_table_loads(tmp_path):
    from console.settings import TABLES, TEMPLATE_KEYS

    lines = ['profile = "p"', 'region = "r"', 'endpoint_url = "http://127.0.0.1:1"',
             "read_only = false", "demo = false", "refresh_interval = 1", 'demo_dir = "/d"',
             '[keymap]\n"app.quit" = "q"']  # fmt: skip
    for table, keys in TABLES.items():
        lines.append(f"[{table}]")
        lines += [f'{key} = "x"' for key in keys]
    lines.append('[templates."any name"]')
    lines += [f'{key} = "x"' for key in TEMPLATE_KEYS if key != "env"] + ["env = { A = 'b' }"]
    settings = Settings.load(write(tmp_path, "\n".join(lines) + "\n"), environ={})
    assert settings.section("gpu") == dict.fromkeys(TABLES["gpu"], "x")
    assert settings.section("templates")["any name"]["env"] == {"A": "b"}


def test_every_table_the_console_reads_is_in_the_table_of_known_keys():
    """A feature reading ``settings.section("NAME")`` must declare NAME (and its keys) in
    console.settings.TABLES, or a user's [NAME] would be refused as unknown."""
    import re

    from console.settings import TABLES

    root = Path(__file__).resolve().parents[2] / "console"
    read = {
        name
        for path in root.rglob("*.py")
        for name in re.findall(r"""\.section\(\s*["']([a-z_]+)["']""", path.read_text())
    }
    assert read and read <= set(TABLES), sorted(read - set(TABLES))


@pytest.mark.parametrize(
    "variable, value, said",
    [
        ("AWSCONSOLE_READ_ONLY", "maybe", "not a boolean"),
        ("AWSCONSOLE_DEMO", "2", "not a boolean"),
        ("AWSCONSOLE_REFRESH_INTERVAL", "often", "not a number"),
    ],
)
def test_an_environment_value_that_does_not_parse_names_its_variable(
    tmp_path, variable, value, said
):
    path = write(tmp_path, "read_only = false\nrefresh_interval = 2\n")
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={variable: value})
    message = caught.value.message
    assert message.startswith(f"{variable}={value!r}: {said}")
    assert str(path) not in message  # the value did not come from the file


def test_a_misspelled_environment_variable_is_named_with_the_nearest_one(tmp_path):
    with pytest.raises(ConfigError) as caught:
        Settings.load(tmp_path / "none.toml", environ={"AWSCONSOLE_READONLY": "1"})
    assert caught.value.message == (
        "AWSCONSOLE_READONLY is not a setting (did you mean AWSCONSOLE_READ_ONLY?)"
    )
    with pytest.raises(ConfigError, match=r"\[gpu\] is a table"):
        Settings.load(tmp_path / "none.toml", environ={"AWSCONSOLE_GPU": "x"})


def test_variables_that_are_not_settings_are_left_alone(tmp_path):
    environ = {
        "AWSCONSOLE_CONFIG": str(tmp_path / "none.toml"),
        "AWSCONSOLE_JOB_DIR": "/tmp/job",
        "AWSCONSOLE_JOB_ID": "20260101-000000-x-abcd",
        "AWSCONSOLE_READ_ONLY": "yes",
        "OTHER": "x",
    }
    assert Settings.load(tmp_path / "none.toml", environ=environ) == Settings(read_only=True)


@pytest.mark.parametrize(
    "text, setting",
    [('region = 3\n', "region"), ("refresh_interval = true\n", "refresh_interval")],
)
def test_a_top_level_value_of_the_wrong_kind_is_named(tmp_path, text, setting):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={})
    assert f"{path}: setting {setting!r}" in caught.value.message


def test_every_setting_is_documented():
    from dataclasses import fields

    from console.settings import TABLES, TEMPLATE_KEYS

    assert all(f.metadata.get("doc") for f in fields(Settings))
    assert all(key.doc and key.kind for keys in TABLES.values() for key in keys.values())
    assert all(key.doc and key.kind for key in TEMPLATE_KEYS.values())
