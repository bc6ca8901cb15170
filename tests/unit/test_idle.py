"""The idle-GPU detector with a fake clock: frames in, warnings and costs out."""

from __future__ import annotations

import pytest

from console.errors import ConfigError
from console.format.gpu import idle_warning_text as describe
from console.gpu.idle import IdleDetector
from console.models import GpuSample
from console.settings import IdleSettings, Settings


def frame(*utils: float | None, at: float = 0.0) -> list[GpuSample]:
    return [GpuSample(at=at, index=i, utilization_gpu=u) for i, u in enumerate(utils)]


def feed_for(
    detector: IdleDetector, utils: tuple, start: float, seconds: float, step: float = 10.0
):
    status = None
    t = start
    while t <= start + seconds:
        status = detector.feed(frame(*utils, at=t), t)
        t += step
    return status


SETTINGS = IdleSettings(threshold_percent=5, period_minutes=15, max_gap_seconds=120)


def test_warns_after_the_period_with_the_money_spent():
    detector = IdleDetector("gpu-box", SETTINGS, price_per_hour=32.77)  # p4d.24xlarge
    status = feed_for(detector, (0.0, 3.0, 4.9, 1.0), start=1000, seconds=890)
    assert status.idle_now and status.warning is None
    status = detector.feed(frame(0, 0, 0, 0), 1900)
    assert status.warning is not None and status.newly_warned
    assert status.warning.idle_seconds == 900
    assert status.warning.cost_usd == pytest.approx(32.77 / 4)
    assert status.warning.gpu_count == 4
    assert describe(status.warning) == (
        "All 4 GPUs of gpu-box under 5 % for 15 min — $8.19 spent idle."
    )


def test_warning_is_new_once_per_idle_stretch_and_cost_grows():
    detector = IdleDetector("h", SETTINGS, price_per_hour=3.6)
    first = feed_for(detector, (0.0,), 0, 900)
    assert first.newly_warned
    later = feed_for(detector, (0.0,), 910, 890)
    assert later.warning is not None and not later.newly_warned
    assert later.warning.cost_usd == pytest.approx(1.8)


def test_one_busy_gpu_resets_the_stretch():
    detector = IdleDetector("h", SETTINGS)
    feed_for(detector, (0.0, 0.0), 0, 800)
    assert not detector.feed(frame(0.0, 5.0), 810).idle_now  # 5 % is not under 5 %
    status = feed_for(detector, (0.0, 0.0), 820, 800)
    assert status.warning is None
    assert status.idle_since == 820


def test_unknown_utilisation_is_not_idle():
    detector = IdleDetector("h", SETTINGS)
    status = feed_for(detector, (0.0, None), 0, 2000)
    assert not status.idle_now and status.warning is None


def test_a_gap_in_samples_restarts_the_stretch():
    detector = IdleDetector("h", SETTINGS)
    feed_for(detector, (0.0,), 0, 600)
    status = detector.feed(frame(0.0), 600 + 121)
    assert status.idle_since == 721
    assert feed_for(detector, (0.0,), 731, 600).warning is None


def test_empty_frame_is_not_idle():
    assert not IdleDetector("h", SETTINGS).feed([], 0).idle_now


def test_no_price_gives_no_cost():
    detector = IdleDetector("h", SETTINGS)
    status = feed_for(detector, (1.0,), 0, 900)
    assert status.warning.cost_usd is None
    assert describe(status.warning) == "The GPU of h under 5 % for 15 min."


def test_defaults_are_5_percent_and_15_minutes():
    settings = IdleSettings()
    assert (settings.threshold_percent, settings.period_s) == (5.0, 900.0)


def test_settings_from_the_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[idle]\nthreshold_percent = 10\nperiod_minutes = 30\n")
    settings = Settings.load(config, environ={}).idle
    assert (settings.threshold_percent, settings.period_s) == (10.0, 1800.0)


@pytest.mark.parametrize(
    "table,word",
    [
        ('threshold_percent = "high"', "threshold_percent"),
        ("period_minutes = -1", "period_minutes"),
        ("threshold_percent = 150", "threshold_percent"),
        ("period = 5", "period"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, table, word):
    config = tmp_path / "config.toml"
    config.write_text(f"[idle]\n{table}\n")
    with pytest.raises(ConfigError, match=word) as caught:
        Settings.load(config, environ={})
    assert str(config) in caught.value.message
