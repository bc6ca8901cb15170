"""Autostop's pure part with a fake clock: frames in, stop decisions out; and its words."""

from __future__ import annotations

import pytest

from console.cli import build_parser, load_settings
from console.errors import ConfigError
from console.format.autostop import autostop_line, autostop_stopped_text, autostop_title
from console.gpu.autostop import AutoStopPolicy
from console.models import AutoStopPhase, GpuSample
from console.settings import IdleSettings, Settings

#: 30 min autostop, GPUs under 5 % idle, samples more than 120 s apart restart the stretch
SETTINGS = IdleSettings(threshold_percent=5, max_gap_seconds=120, autostop_minutes=30)
PERIOD = 30 * 60
ID = "i-0fashion"


def frame(*utils: float | None) -> list[GpuSample]:
    return [GpuSample(at=0.0, index=i, utilization_gpu=u) for i, u in enumerate(utils)]


def run(policy: AutoStopPolicy, utils: tuple, start: float, seconds: float, *, step=10.0, **kw):
    """Feed one frame every ``step`` s from ``start`` for ``seconds``; the decisions made."""
    decisions = []
    t = start
    while t <= start + seconds:
        decision = policy.feed(ID, frame(*utils), t, **kw)
        if decision is not None:
            decisions.append(decision)
        t += step
    return decisions


def watched(settings: IdleSettings = SETTINGS, price: float | None = 1.006) -> AutoStopPolicy:
    policy = AutoStopPolicy(settings)
    policy.watch(ID, "fashion-train", price)  # a g5.xlarge
    return policy


def test_every_gpu_idle_for_the_period_stops_the_instance_once_with_its_cost():
    policy = watched()
    assert run(policy, (0.0, 4.9), 1000, PERIOD - 10) == []
    assert policy.status(ID).phase is AutoStopPhase.IDLE
    assert policy.status(ID).idle_seconds == PERIOD - 10
    [decision] = run(policy, (0.0, 4.9), 1000 + PERIOD, 0)
    assert (decision.instance_id, decision.name, decision.gpu_count) == (ID, "fashion-train", 2)
    assert decision.idle_seconds == PERIOD
    assert decision.cost_usd == pytest.approx(1.006 / 2)  # half an hour at $1.006/h
    assert policy.status(ID).phase is AutoStopPhase.STOPPING
    # the stop is on its way: however long the frames go on idle, no second decision
    assert run(policy, (0.0, 0.0), 1010 + PERIOD, 3 * PERIOD) == []


def test_autostop_is_off_by_default_and_then_never_stops():
    assert Settings().idle.autostop_minutes == 0
    policy = watched(IdleSettings())
    assert not policy.enabled
    assert run(policy, (0.0,), 0, 24 * 3600, step=60) == []


def test_one_busy_gpu_restarts_the_stretch():
    policy = watched()
    assert run(policy, (0.0, 0.0), 0, PERIOD - 10) == []
    assert policy.feed(ID, frame(0.0, 5.0), PERIOD) is None  # 5 % is not under 5 %
    assert policy.status(ID).phase is AutoStopPhase.BUSY
    assert policy.status(ID).idle_seconds is None
    assert run(policy, (0.0, 0.0), PERIOD + 10, PERIOD - 10) == []  # a new stretch
    assert len(run(policy, (0.0, 0.0), 2 * PERIOD + 10, 0)) == 1  # …a whole period long


def test_unknown_utilisation_is_never_stopped():
    policy = watched()
    # one GPU reads [N/A] all day: nobody knows it is idle
    assert run(policy, (0.0, None), 0, 24 * 3600, step=60) == []
    status = policy.status(ID)
    assert status.phase is AutoStopPhase.UNKNOWN and status.idle_seconds is None
    # and one unknown frame in an idle stretch restarts it
    policy = watched()
    assert run(policy, (0.0,), 0, PERIOD - 10) == []
    assert policy.feed(ID, frame(None), PERIOD) is None
    assert run(policy, (0.0,), PERIOD + 10, PERIOD - 10) == []


def test_nvidia_smi_failing_or_the_host_unreachable_restarts_the_stretch():
    policy = watched()
    assert run(policy, (0.0,), 0, PERIOD - 10) == []
    policy.unknown(ID, "nvidia-smi stopped on fashion-train (exit 1); retrying.")
    assert policy.status(ID).phase is AutoStopPhase.UNKNOWN
    assert run(policy, (0.0,), PERIOD, PERIOD - 10) == []
    policy.unknown(ID, "Connection refused", reachable=False)
    status = policy.status(ID)
    assert status.phase is AutoStopPhase.UNREACHABLE and status.detail == "Connection refused"
    assert run(policy, (0.0,), 2 * PERIOD, PERIOD - 10) == []
    assert len(run(policy, (0.0,), 3 * PERIOD, 0)) == 1


def test_a_gap_in_the_samples_restarts_the_stretch():
    policy = watched()
    assert run(policy, (0.0,), 0, PERIOD - 60) == []
    # 121 s without a sample (over max_gap_seconds): the GPUs may have worked meanwhile
    assert policy.feed(ID, frame(0.0), PERIOD - 60 + 121) is None
    assert policy.status(ID).idle_seconds == 0
    assert run(policy, (0.0,), PERIOD + 71, PERIOD - 20) == []


def test_read_only_never_stops_and_unlocked_the_idle_instance_is_stopped():
    policy = watched()
    assert run(policy, (0.0,), 0, 3 * PERIOD, read_only=True) == []
    assert policy.status(ID).phase is AutoStopPhase.IDLE
    assert policy.status(ID).idle_seconds == 3 * PERIOD  # still measured
    [decision] = run(policy, (0.0,), 3 * PERIOD + 10, 0)
    assert decision.idle_seconds == 3 * PERIOD + 10


def test_a_failed_stop_is_not_retried_in_the_same_idle_stretch():
    policy = watched()
    [decision] = run(policy, (0.0,), 0, PERIOD)
    policy.stop_failed(ID, "UnauthorizedOperation")
    assert run(policy, (0.0,), PERIOD + 10, 5 * PERIOD) == []
    status = policy.status(ID)
    assert status.phase is AutoStopPhase.FAILED and status.detail == "UnauthorizedOperation"
    # busy, then idle for a whole period again: one more try
    assert policy.feed(ID, frame(80.0), 6 * PERIOD + 20) is None
    assert run(policy, (0.0,), 6 * PERIOD + 30, PERIOD - 10) == []
    assert len(run(policy, (0.0,), 7 * PERIOD + 30, 0)) == 1


def test_only_watched_instances_are_decided_and_forgotten_ones_no_longer():
    policy = watched()
    assert run(policy, (0.0,), 0, PERIOD - 10) == []
    assert policy.feed("i-other", frame(0.0), PERIOD + 10) is None
    policy.forget(ID)
    assert policy.feed(ID, frame(0.0), PERIOD + 10) is None
    assert policy.status(ID) is None and policy.watched() == ()


def test_an_unknown_price_stops_without_a_cost():
    policy = watched(price=None)
    [decision] = run(policy, (0.0,), 0, PERIOD)
    assert decision.cost_usd is None
    assert "spent idle" not in autostop_stopped_text(decision)


# --- the words ------------------------------------------------------------------------------


def test_the_header_says_autostop_only_when_it_is_on():
    assert autostop_title(30, read_only=False) == "autostop 30m"
    assert autostop_title(0.005, read_only=False) == "autostop 0.3s"
    assert autostop_title(30, read_only=True) == "autostop off (read-only)"
    assert autostop_title(0, read_only=False) == ""
    assert autostop_title(0, read_only=True) == ""


def test_the_gpu_view_line_says_what_autostop_will_do():
    policy = watched()
    run(policy, (0.0,), 0, 12 * 60)
    line = autostop_line(policy.status(ID), "fashion-train", 30, read_only=False)
    assert line == "Autostop: stops fashion-train after 30 min idle — idle 12 min now"
    policy.feed(ID, frame(90.0), 12 * 60 + 10)
    line = autostop_line(policy.status(ID), "fashion-train", 30, read_only=False)
    assert line == "Autostop: stops fashion-train after 30 min idle — GPUs busy"
    assert "off (read-only)" in autostop_line(None, "fashion-train", 30, read_only=True)
    assert autostop_line(policy.status(ID), "fashion-train", 0, read_only=False) == ""


def test_the_stop_notification_names_the_instance_its_idle_time_and_cost():
    [decision] = run(watched(price=2.0), (0.0, 0.0), 0, PERIOD + 60)
    assert autostop_stopped_text(decision) == (
        f"Stopping fashion-train ({ID}): its 2 GPUs were under 5 % for 30 min "
        "(autostop after 30 min), $1.00 spent idle."
    )


# --- the setting and the flag ----------------------------------------------------------------


def test_the_setting_reads_fractions_from_file_environment_and_flag(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[idle]\nautostop_minutes = 0.5\n")
    assert Settings.load(config, environ={}).idle.autostop_minutes == 0.5
    environ = {"AWSCONSOLE_IDLE_AUTOSTOP_MINUTES": "45"}
    assert Settings.load(config, environ=environ).idle.autostop_minutes == 45
    args = build_parser().parse_args(["--config", str(config), "--autostop", "20"])
    assert load_settings(args).idle.autostop_minutes == 20  # the command line wins
    args = build_parser().parse_args(["--config", str(config)])
    assert load_settings(args).idle.autostop_minutes == 0.5


def test_a_negative_autostop_is_refused_naming_where_it_came_from(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[idle]\nautostop_minutes = -1\n")
    with pytest.raises(ConfigError) as caught:
        Settings.load(config, environ={})
    assert "[idle] autostop_minutes must not be negative" in caught.value.message
    with pytest.raises(ConfigError) as caught:
        Settings().with_autostop(-5)
    assert caught.value.message.startswith("--autostop must not be negative")
