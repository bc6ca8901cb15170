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
    assert settings.templates == {"train": "python -m trainer"}


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


def _other_value(value):
    """A value of the same type as ``value`` that differs from it, as TOML text and as read."""
    if isinstance(value, bool):
        return str(not value).lower(), not value
    if isinstance(value, int):
        return str(value + 3), value + 3
    if isinstance(value, float):
        return str(value * 2 + 1), value * 2 + 1
    if isinstance(value, str):
        return f'"{value}-x"', f"{value}-x"
    if isinstance(value, tuple):
        return '["gpu-a", "gpu-b"]', ("gpu-a", "gpu-b")
    raise AssertionError(f"no other value for {value!r}")


def test_every_key_of_every_table_is_read_as_written(tmp_path):
    """Each section's every key, given a value other than its default in the file, reads
    back as that value: no key of the typed tree is declared and then ignored."""
    from dataclasses import fields

    defaults = Settings()
    lines, expected = [], {}
    for section in ("jobs", "gpu", "idle", "instances", "doctor"):
        lines.append(f"[{section}]")
        for f in fields(getattr(defaults, section)):
            text, value = _other_value(getattr(getattr(defaults, section), f.name))
            lines.append(f"{f.name} = {text}")
            expected[(section, f.name)] = value
    lines += ["[transfer]", "streams = 4"]
    expected[("transfer", "streams")] = 4
    lines += ['[templates."any name"]', 'command = ["true"]', "env = { A = 'b' }"]
    settings = Settings.load(write(tmp_path, "\n".join(lines) + "\n"), environ={})
    for (section, key), value in expected.items():
        assert getattr(getattr(settings, section), key) == value, (section, key)
    assert settings.templates["any name"]["env"] == {"A": "b"}


def test_every_key_of_every_table_can_come_from_the_environment(tmp_path):
    """``AWSCONSOLE_<TABLE>_<KEY>`` sets a key of a table, over the file's value."""
    from dataclasses import fields

    defaults = Settings()
    path = write(tmp_path, "[gpu]\ninterval_ms = 250\n")
    for section in ("jobs", "gpu", "idle", "instances", "doctor"):
        for f in fields(getattr(defaults, section)):
            value = getattr(getattr(defaults, section), f.name)
            _, expected = _other_value(value)
            text = ",".join(expected) if isinstance(expected, tuple) else str(expected).lower()
            if isinstance(expected, str):
                text = expected
            variable = f"AWSCONSOLE_{section.upper()}_{f.name.upper()}"
            settings = Settings.load(path, environ={variable: text})
            assert getattr(getattr(settings, section), f.name) == expected, variable
    settings = Settings.load(path, environ={"AWSCONSOLE_TRANSFER_STREAMS": "6"})
    assert settings.transfer.streams == 6 and settings.gpu.interval_ms == 250
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={"AWSCONSOLE_GPU_INTERVAL_MS": "-5"})
    assert caught.value.message.startswith("AWSCONSOLE_GPU_INTERVAL_MS='-5'")


@pytest.mark.parametrize(
    "text, said",
    [
        ("[gpu]\ninterval_ms = 0\n", "[gpu] interval_ms must be positive"),
        ('[gpu]\nnvidia_smi = "  "\n', "[gpu] nvidia_smi must not be empty"),
        ("[idle]\nthreshold_percent = 101\n", "[idle] threshold_percent must be above 0"),
        ("[instances]\njupyter_port = 70000\n", "[instances] jupyter_port is not a port"),
        ('[jobs]\nhosts = "gpu-box"\n', "[jobs] hosts: expected a list of names"),
        ("[transfer]\nstreams = 17\n", "[transfer] streams must be from 1 to 16"),
        ("[doctor]\nmin_free_gb = -1\n", "[doctor] min_free_gb must be positive"),
        ("refresh_interval = -1\n", "setting 'refresh_interval' must not be negative"),
    ],
)
def test_a_value_out_of_range_is_named_when_the_settings_load(tmp_path, text, said):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(path, environ={})
    assert caught.value.message.startswith(f"{path}: ") and said in caught.value.message


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
    from console.settings import TEMPLATE_KEYS, describe

    rows = list(describe())
    assert len(rows) > 20
    assert all(key and kind and doc for key, kind, _default, doc in rows)
    assert {"[gpu] interval_ms", "[transfer] streams", "read_only"} <= {row[0] for row in rows}
    assert all(TEMPLATE_KEYS.values())
