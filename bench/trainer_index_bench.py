"""Index load of the Category & Attribute benchmark: the streamed, cached index against the
whole-file reader it replaced, side by side.

    .venv/bin/python bench/trainer_index_bench.py                    # 289,222 rows, old reader at 20,000
    .venv/bin/python bench/trainer_index_bench.py --rows 50000 --old-rows 10000

Writes synthetic annotation files of the real benchmark's shape (50 categories, 1000 attributes
per row, every per-image file with one row per image; ``list_attr_img.txt`` about 600 MB at
289,222 rows) under a work folder (reused when it is already there), then loads each in a fresh
process: peak resident memory is resource.getrusage(RUSAGE_CHILDREN).ru_maxrss of an
intermediate process whose only child did the load; time is the load call alone.

"before" is trainer/data.py as of ``--before`` (default: the last commit with the whole-file
reader), loaded from git into a module of its own. It holds every token of every file as a
Python string (about 9 GB per 100,000 rows), so it runs at ``--old-rows`` rows; the new reader
runs at both sizes, so the two sit side by side at the smaller one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainer import layout  # noqa: E402
from trainer.synth import attribute_names  # noqa: E402

BEFORE = "ddf4073"  # trainer/data.py still read every file whole
GENERATOR_VERSION = "1"

# Runs in a fresh process: import, then time one load_index; prints JSON.
_DRIVER = r"""
import json, resource, sys, time, importlib.util
sys.path.insert(0, sys.argv[1])
mode, root = sys.argv[2], sys.argv[3]
if mode == "before":
    spec = importlib.util.spec_from_file_location("data_before", sys.argv[4])
    module = importlib.util.module_from_spec(spec)
    sys.modules["data_before"] = module
    spec.loader.exec_module(module)
    load = module.load_index
else:
    from trainer.data import load_index as load
imports_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
index = load(root)
seconds = time.perf_counter() - start
rows = len(index.records)
print(json.dumps({"seconds": seconds, "rows": rows, "imports_kb": imports_kb,
                  "status": getattr(index, "cache_status", "no cache")}))
"""


def write_annotations(root: Path, rows: int, seed: int = 0) -> None:
    """The seven annotation files for ``rows`` images, in the benchmark's exact layout."""
    marker = root / ".generated"
    wanted = f"{GENERATOR_VERSION} {rows} {seed}"
    if marker.is_file() and marker.read_text() == wanted:
        return
    (root / "Anno").mkdir(parents=True, exist_ok=True)
    (root / "Eval").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    categories = layout.BENCHMARK_CATEGORIES
    labels = rng.integers(1, 49, rows)  # the reference's 48 categories
    names = [f"img/{'Sheer_Pleated-Front' if i % 3 else 'Floral_Print'}_{categories[labels[i] - 1][0]}"
             f"_{i // 60:05d}/img_{i % 60 + 1:08d}.jpg" for i in range(rows)]
    width = max(len(n) for n in names) + 4
    padded = [n.ljust(width).encode() for n in names]

    def table(rel: str, header: list[str], body) -> None:
        with open(root / rel, "wb") as fh:
            fh.write(f"{rows}\n{'  '.join(header)}\n".encode())
            for chunk in body:
                fh.write(chunk)

    def text_table(rel: str, header: list[str], lines: list[str]) -> None:
        (root / rel).write_text(f"{len(lines)}\n{'  '.join(header)}\n" + "".join(line + "\n" for line in lines))

    text_table(layout.CATEGORY_CLOTH, layout.HEADERS[layout.CATEGORY_CLOTH], [f"{n:<28}{t}" for n, t in categories])
    text_table(layout.ATTR_CLOTH, layout.HEADERS[layout.ATTR_CLOTH], [f"{n:<36}{t}" for n, t in attribute_names()])

    def chunked(make_line):
        for start in range(0, rows, 8192):
            yield b"".join(make_line(i) for i in range(start, min(rows, start + 8192)))

    table(layout.CATEGORY_IMG, layout.HEADERS[layout.CATEGORY_IMG],
          chunked(lambda i: padded[i] + b"%d\n" % labels[i]))
    # 512 distinct rows of 1000 values (-1, 0, 1 as in the real file), each image takes one.
    tokens = np.array([b"0", b"1", b"-1"], dtype=object)
    bodies = [b" ".join(rng.choice(tokens, size=1000, p=[0.93, 0.02, 0.05])) for _ in range(512)]
    pick = rng.integers(0, len(bodies), rows)
    table(layout.ATTR_IMG, layout.HEADERS[layout.ATTR_IMG], chunked(lambda i: padded[i] + bodies[pick[i]] + b"\n"))
    vis = rng.choice(np.array([0, 0, 0, 0, 1, 2]), size=(rows, 8))
    xy = rng.integers(5, 295, size=(rows, 8, 2))

    def landmark_line(i: int) -> bytes:
        clothes_type = categories[labels[i] - 1][1]
        slots = layout.SLOTS_BY_CLOTHES_TYPE[clothes_type]
        cols = "  ".join(f"{vis[i, s]} {xy[i, s, 0]:03d} {xy[i, s, 1]:03d}" for s in slots)
        return padded[i] + f"{clothes_type}  {cols}\n".encode()

    table(layout.LANDMARKS, layout.landmark_header(False), chunked(landmark_line))
    boxes = np.sort(rng.integers(0, 300, size=(rows, 2, 2)), axis=1)
    boxes[:, 1] += 1
    table(layout.BBOX, layout.HEADERS[layout.BBOX], chunked(
        lambda i: padded[i] + b"%03d %03d %03d %03d\n" % (boxes[i, 0, 0], boxes[i, 0, 1], boxes[i, 1, 0], boxes[i, 1, 1])))
    split_names = np.array([b"train", b"val", b"test"], dtype=object)[rng.choice(3, rows, p=[0.72, 0.14, 0.14])]
    table(layout.PARTITION, layout.HEADERS[layout.PARTITION], chunked(lambda i: padded[i] + split_names[i] + b"\n"))
    marker.write_text(wanted)


def measure(mode: str, root: Path, before_source: Path | None = None) -> dict:
    """One load in a fresh process: its peak RSS (MB) and the load's seconds."""
    args = [sys.executable, "-c", _DRIVER, str(REPO), mode, str(root)] + ([str(before_source)] if before_source else [])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} load failed:\n{err.decode()}")
    return json.loads(out)


def measure_isolated(mode: str, root: Path, before_source: Path | None = None) -> dict:
    """``measure`` inside its own intermediate process, whose RUSAGE_CHILDREN is this one load."""
    code = ("import json, resource, sys; sys.path.insert(0, sys.argv[1]);"
            "from bench.trainer_index_bench import measure; from pathlib import Path;"
            "r = measure(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else None);"
            "r['peak_mb'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; print(json.dumps(r))")
    args = [sys.executable, "-c", code, str(REPO), mode, str(root)] + ([str(before_source)] if before_source else [])
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=289_222, help="rows of the full-size run (the benchmark's)")
    p.add_argument("--old-rows", type=int, default=20_000, help="rows the whole-file reader is run at")
    p.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "trainer-index-bench"),
                   help="folder for the generated files (reused)")
    p.add_argument("--before", default=BEFORE, help="git revision of the previous trainer/data.py")
    p.add_argument("--skip-before", action="store_true")
    args = p.parse_args()
    work = Path(args.work)
    small, full = work / f"rows-{args.old_rows}", work / f"rows-{args.rows}"
    for root, rows in ((small, args.old_rows), (full, args.rows)):
        write_annotations(root, rows)
        size = (root / layout.ATTR_IMG).stat().st_size
        print(f"{rows:,} rows under {root}: list_attr_img.txt {size / 1e6:,.0f} MB", flush=True)

    results: list[tuple[str, int, dict]] = []
    if not args.skip_before:
        before_source = work / "data_before.py"
        before_source.write_bytes(subprocess.run(["git", "show", f"{args.before}:trainer/data.py"], cwd=REPO,
                                                 check=True, capture_output=True).stdout)
        results.append(("before: whole files, no cache", args.old_rows, measure_isolated("before", small, before_source)))
    for root, rows in ((small, args.old_rows), (full, args.rows)):
        for cache in root.glob(".trainer-index.bin*"):
            cache.unlink()
        results.append(("after: first load (parse + cache)", rows, measure_isolated("after", root)))
        results.append(("after: cached (mapped)", rows, measure_isolated("after", root)))
        for label, n, r in results[-2:]:
            assert r["rows"] == n, (label, r)
    print(f"\n{'':<36}{'rows':>10}{'peak RSS MB':>14}{'of which imports':>18}{'seconds':>10}  status")
    for label, rows, r in results:
        print(f"{label:<36}{rows:>10,}{r['peak_mb']:>14,.0f}{r['imports_kb'] / 1024:>18,.0f}"
              f"{r['seconds']:>10.2f}  {r['status']}")
    print("\ngoal at 289,222 rows: first load <= 1.5 GB and <= 30 s; cached <= 2 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
