"""Runtime resolution, progress output and configuration errors."""

from __future__ import annotations

import io
import json

import pytest
import torch

from trainer.__main__ import main
from trainer.config import TrainConfig, write_resolved
from trainer.distributed import DistInfo
from trainer.engine import RunLog, resolve_runtime
from trainer.errors import ConfigError


def test_cpu_defaults_to_fp32_and_offers_bf16_with_channels_last():
    plain = resolve_runtime("cpu", "auto", "auto", DistInfo())
    assert (plain.device.type, plain.precision, plain.channels_last) == ("cpu", "fp32", False)
    fast = resolve_runtime("cpu", "bf16", "auto", DistInfo())
    assert (fast.precision, fast.channels_last) == ("bf16", True)
    with fast.autocast():
        y = torch.nn.Linear(4, 4)(torch.randn(2, 4))
    assert y.dtype == torch.bfloat16
    with pytest.raises(ConfigError, match="fp16 needs CUDA"):
        resolve_runtime("cpu", "fp16", "auto", DistInfo())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_plain_lines_in_a_log_and_rewritten_on_a_terminal(tmp_path):
    log_file = io.StringIO()
    log = RunLog(tmp_path, True, log_file)
    log.progress("step 1")
    log.progress("step 2")
    log.line("done")
    assert log_file.getvalue() == "step 1\nstep 2\ndone\n"
    term = _Terminal()
    log = RunLog(None, True, term)
    log.progress("step 1")
    log.progress("step 2")
    log.line("done")
    assert term.getvalue().startswith("\rstep 1") and term.getvalue().endswith("\ndone\n")
    silent = io.StringIO()
    RunLog(tmp_path / "other", False, silent).line("rank 1 says nothing")
    assert silent.getvalue() == ""


def test_metrics_records_are_strict_json(tmp_path):
    log = RunLog(tmp_path, True, io.StringIO())
    log.record({"kind": "eval", "attr_part_recall@3": float("nan"), "category_top1": 50.0})
    record = json.loads((tmp_path / "metrics.jsonl").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert record["attr_part_recall@3"] is None and record["category_top1"] == 50.0


def test_config_validation_and_resolved_file(tmp_path):
    with pytest.raises(ConfigError, match="multiple of 32"):
        TrainConfig(image_size=100)
    with pytest.raises(ConfigError, match="precision must be one of"):
        TrainConfig(precision="fp8")
    cfg = TrainConfig(data_root="/data", image_size=96)
    path = write_resolved(cfg, {"device": "cpu"}, tmp_path)
    saved = json.loads(path.read_text())
    assert TrainConfig.from_dict(saved["config"]) == cfg and saved["derived"] == {"device": "cpu"}


def test_bad_option_and_bad_dataset_exit_2_with_a_message(tmp_path, capsys):
    assert main(["train", "--data-root", str(tmp_path), "--image-size", "100"]) == 2
    assert "image_size must be a positive multiple of 32" in capsys.readouterr().err
    status = main(["train", "--data-root", str(tmp_path / "nowhere"), "--run-dir", str(tmp_path / "r"),
                   "--spot-watch", "off"])
    assert status == 2
    assert "Anno/list_category_cloth.txt: missing" in capsys.readouterr().err


def _one_step(grad_clip: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(parameter change, gradient) of one SGD step (lr 1) of the tiny network on a fixed batch."""
    from trainer.engine import EpochOptions, Progress, train_one_epoch
    from trainer.losses import LossWeights
    from trainer.model import LandmarkAttentionNet

    torch.manual_seed(0)
    net = LandmarkAttentionNet(num_categories=5, num_attributes=10, width=0.125)
    before = torch.cat([p.detach().flatten().clone() for p in net.parameters()])
    gen = torch.Generator().manual_seed(1)
    batch = {"image": torch.randn(2, 3, 64, 64, generator=gen), "category": torch.tensor([1, 3]),
             "attributes": torch.randint(0, 2, (2, 10), generator=gen), "landmarks": torch.rand(2, 8, 2, generator=gen),
             "visible": torch.ones(2, 8, dtype=torch.bool)}
    opts = EpochOptions(1, 1, 1, grad_clip, LossWeights())
    train_one_epoch(net, [batch], torch.optim.SGD(net.parameters(), lr=1.0), None,
                    resolve_runtime("cpu", "fp32", "off", DistInfo()), opts, Progress(), RunLog(None, False))
    after = torch.cat([p.detach().flatten() for p in net.parameters()])
    grad = torch.cat([p.grad.flatten() for p in net.parameters()])
    return after - before, grad


@pytest.mark.slow
def test_gradient_clipping_is_off_by_default_and_an_option():
    assert TrainConfig().grad_clip == 0
    unclipped, grad = _one_step(TrainConfig().grad_clip)
    assert torch.allclose(unclipped, -grad, atol=1e-6)  # the step is the full gradient
    clipped, _ = _one_step(1e-3)
    assert clipped.norm().item() == pytest.approx(1e-3, rel=1e-3)
    assert grad.norm().item() > 10 * 1e-3
