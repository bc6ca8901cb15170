"""The ssh config's Host aliases a host field completes with (console.hosts.aliases)."""

from __future__ import annotations

from pathlib import Path

from console.hosts.aliases import ssh_aliases, usable_name


def test_host_names_in_order_patterns_and_unusable_names_skipped(tmp_path: Path):
    config = tmp_path / "config"
    config.write_text(
        "# a comment\n"
        "Host gpu-box\n"
        "    HostName 10.0.0.5\n"
        "Host *\n"
        "    ServerAliveInterval 30\n"
        "Host gpu-* !gpu-old bastion   # trailing comment\n"
        "host=lowercase-keyword\n"
        '  HOST  "quoted-name" "two words"\n'
        "Host -oProxyCommand=evil\n"
        "Host a?c\n"
        "Match host gpu-box\n"
        "    User ubuntu\n"
        "Host gpu-box\n"  # a second block for the same name
    )
    assert ssh_aliases(str(config)) == ["gpu-box", "bastion", "lowercase-keyword", "quoted-name"]


def test_include_is_followed_with_globs_home_and_relative_paths(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    ssh_dir = tmp_path / ".ssh"
    (ssh_dir / "conf.d").mkdir(parents=True)
    (ssh_dir / "conf.d" / "b.conf").write_text("Host from-b\n")
    (ssh_dir / "conf.d" / "a.conf").write_text("Host from-a\nInclude ~/.ssh/nested\n")
    (ssh_dir / "nested").write_text("Host nested-one\n")
    (ssh_dir / "loop").write_text("Host in-loop\nInclude loop\n")  # includes itself
    elsewhere = tmp_path / "elsewhere.conf"
    elsewhere.write_text("Host absolute-include\n")
    config = ssh_dir / "config"
    config.write_text(
        "Host first\n"
        "Include conf.d/*.conf\n"  # relative: from ~/.ssh, sorted
        f"Include {elsewhere} missing-file\n"
        "Include loop\n"
        "Host last\n"
    )
    assert ssh_aliases() == [
        "first", "from-a", "nested-one", "from-b", "absolute-include", "in-loop", "last",
    ]  # fmt: skip


def test_a_missing_or_unreadable_config_gives_no_names(tmp_path: Path):
    assert ssh_aliases(str(tmp_path / "nope")) == []
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert ssh_aliases(str(folder)) == []
    broken = tmp_path / "broken"
    broken.write_bytes(b'Host ok\nHost "unclosed\n\xff\xfeHost after-bad-bytes\n')
    assert ssh_aliases(str(broken)) == ["ok"]


def test_usable_names():
    assert usable_name("gpu-box") and usable_name("[bold]x") and usable_name("user@host")
    for name in ("", "-x", "a b", "a,b", "a*", "!a", "a\x1bb", "a\u202eb", "a\nb"):
        assert not usable_name(name), name
