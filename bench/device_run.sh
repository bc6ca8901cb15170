#!/usr/bin/env bash
# The checks that need an NVIDIA GPU, in one run (a lent GPU machine's time is short):
#   1. train on CUDA (AMP, channels_last) on a synthetic dataset while the GPU monitor is
#      checked against the real nvidia-smi (bench/gpu_device_check.py, recordings saved);
#   2. the GPU-trained checkpoint evaluated on CUDA and on the CPU alone, and one image
#      predicted with no GPU visible;
#   3. torchrun with the nccl backend (one process);
#   4. `python -m trainer bench` on CUDA: PyTorch's default fp32 baseline, the strict-fp32
#      baseline, and ours with torch.compile.
# Results go to $OUT (or ./device-out): log.txt, check.json, the recordings as a tarball, the
# bench JSON files and the training metrics.
#   CONSOLE_SNAPSHOT=DIR  import console/ from DIR (a copy of the committed package)
#   PARTS="monitor eval torchrun bench compiled"  which parts to run (default: all)
#   DEVICE, IMAGES, EPOCHS, SIZE, WIDTH, BENCH_BATCH, BENCH_STEPS, WAIT_TRIES: smaller values
#   give a quick rehearsal of this script on a machine without a GPU (DEVICE=cpu)
set -uo pipefail
OUT=${OUT:-./device-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
CHECK_ROOT=${CONSOLE_SNAPSHOT:-.}
DEVICE=${DEVICE:-cuda} IMAGES=${IMAGES:-2400} EPOCHS=${EPOCHS:-6} SIZE=${SIZE:-224} WIDTH=${WIDTH:-1.0}
BENCH_BATCH=${BENCH_BATCH:-64} BENCH_STEPS=${BENCH_STEPS:-20} WAIT_TRIES=${WAIT_TRIES:-120}
PARTS=${PARTS:-"monitor eval torchrun bench compiled"}
step() { echo; echo "=== $* ($(date +%T))"; }
want() { [[ " $PARTS " == *" $1 "* ]]; }

step machine
nvidia-smi -L; $PY -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__, "cuda", torch.version.cuda, torch.cuda.is_available() and torch.cuda.get_device_name(0))'

step synth
$PY -m trainer synth "$WORK/ds" --images "$IMAGES" --categories 8 --seed 0 | tail -2

if want monitor; then
step "train on CUDA with the GPU monitor checked alongside"
$PY -m trainer train --data-root "$WORK/ds" --run-dir "$WORK/run" --epochs "$EPOCHS" --batch-size 32 \
    --workers 8 --image-size "$SIZE" --width "$WIDTH" --log-every 10 --device "$DEVICE" > "$WORK/train.log" 2>&1 &
TRAIN=$!
for _ in $(seq "$WAIT_TRIES"); do
    nvidia-smi --query-compute-apps=pid --format=csv,noheader | grep -qw "$TRAIN" && break
    sleep 0.5
done
$PY "$CHECK_ROOT/bench/gpu_device_check.py" --out "$WORK/rec" --expect-pid "$TRAIN" --seconds 5
wait $TRAIN; echo "train exit $?"
tail -n 12 "$WORK/train.log"
cp "$WORK/run/metrics.jsonl" "$OUT/metrics.jsonl"
mv "$WORK/rec/check.json" "$OUT/check.json"
tar -czf "$OUT/recordings.tar.gz" -C "$WORK/rec" .
fi

if want eval; then
step "the GPU-trained checkpoint on CUDA and on the CPU alone"
$PY -m trainer eval "$WORK/run/best.pt" --data-root "$WORK/ds" --split test --device "$DEVICE" --json > "$OUT/eval_cuda.json"
CUDA_VISIBLE_DEVICES= $PY -m trainer eval "$WORK/run/best.pt" --data-root "$WORK/ds" --split test --device cpu --precision fp32 --json > "$OUT/eval_cpu.json"
head -c 600 "$OUT/eval_cuda.json"; echo; head -c 600 "$OUT/eval_cpu.json"; echo
IMG=$(find "$WORK/ds/img" -name '*.jpg' | sort | head -1)
CUDA_VISIBLE_DEVICES= $PY -m trainer predict "$WORK/run/best.pt" "$IMG" | head -12
fi

if want torchrun; then
step "torchrun, nccl, one process"
$PY -m torch.distributed.run --standalone --nproc_per_node 1 -m trainer train --data-root "$WORK/ds" \
    --run-dir "$WORK/ddp" --epochs 1 --max-steps-per-epoch 20 --batch-size 32 --workers 4 --image-size "$SIZE" --width "$WIDTH" --device "$DEVICE" 2>&1 | tail -4
grep -o '"world_size": [0-9]*' "$WORK/ddp/config.json"
fi

if want bench; then
step "bench: default fp32 baseline"
B="--device $DEVICE --image-size $SIZE --width $WIDTH --batch-size $BENCH_BATCH --steps $BENCH_STEPS --warmup 5 --latency-runs 50 --compare-images 32"
$PY -m trainer bench $B --json-out "$OUT/bench_default.json"
step "bench: strict fp32 baseline, ours also with torch.compile"
timeout 300 $PY -m trainer bench $B --baseline-tf32 off --compile --json-out "$OUT/bench_strict.json"
fi

if want compiled; then
step "train with torch.compile (auto: on with CUDA), then resume the compiled run"
$PY -m trainer train --data-root "$WORK/ds" --run-dir "$WORK/crun" --epochs 3 --batch-size "${TRAIN_BATCH:-64}" \
    --workers 12 --image-size "$SIZE" --width "$WIDTH" --log-every 10 --device "$DEVICE" 2>&1 | grep -v '^epoch .* step [0-9]*0/' | tail -12
$PY -m trainer train --data-root "$WORK/ds" --run-dir "$WORK/crun" --epochs 4 --batch-size "${TRAIN_BATCH:-64}" \
    --workers 12 --image-size "$SIZE" --width "$WIDTH" --log-every 10 --device "$DEVICE" --resume auto 2>&1 | grep -E 'resumed|compile|eval|finished'
cp "$WORK/crun/metrics.jsonl" "$OUT/metrics_compiled.jsonl"
step "bench on the trained weights and real validation images, batch 64 and 128"
C="--device $DEVICE --checkpoint $WORK/crun/best.pt --data-root $WORK/ds --steps $BENCH_STEPS --warmup 5 --latency-runs 50 --compare-images 64 --compile"
timeout 240 $PY -m trainer bench $C --batch-size "$BENCH_BATCH" --json-out "$OUT/bench_trained_b64.json"
timeout 240 $PY -m trainer bench $C --batch-size $((BENCH_BATCH * 2)) --json-out "$OUT/bench_trained_b128.json"
fi
step done
