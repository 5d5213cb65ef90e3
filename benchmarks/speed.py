"""Speed benchmark (issue 14): where the time of ``segment`` and ``decompose`` goes, and how it grows.

    python benchmarks/speed.py                 # every table (several minutes on 2 cores)
    python benchmarks/speed.py --smoke         # tiny sizes, under a minute (CI)
    python benchmarks/speed.py --json out.json
    python benchmarks/speed.py --serial-cpu 4 15   # only the decompose parts' CPU on one thread (loaded machines)

Tables, all measured in one run:

* **segment stages**: box prompts on the first ``--images`` photos of ``../shared/data/grabcut`` (or generated
  scenes when it is missing): per-stage seconds from :func:`paintseg_layers.timing.record_timings` (feature
  projection, painting per step, contrast, clustering, refinement, resizing), reading the file (I/O), and
  ``cv2.grabCut`` on the same box at full size (5 iterations) as the same-run baseline;
* **decompose stages**: one photo at 640 x 480 with ``--objects`` box prompts, per stage (first-pass
  segmentation, object contrast, joint labelling, order cues, each peel round, plate, saving the layer folder);
* **scaling**: image long side, number of objects, samples N and painter, each row with its seconds, its ratio to
  the same-run GrabCut reference, and the peak resident memory (RSS) while the row ran;
* **cost model**: least-squares lines fitted to the scaling rows.

Ratios: segment rows divide by ``cv2.grabCut`` on the same image and box; decompose rows by the reference
GrabCut (the 640 x 480 photo, a central box over 60% of each side, full size, 5 iterations), the mean of one
run just before and one just after the row. The machine's load moves absolute seconds; the ratios travel
across machines. A decompose row's seconds are the median of ``--repeats`` runs (default 3) made without the
memory sampler; its memory columns come from one more run, sampled (the sampler itself costs 10-15 %).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers import BoxPrompt  # noqa: E402
from paintseg_layers.amcp import AMCPConfig, segment  # noqa: E402
from paintseg_layers.eval.baselines import grabcut_box  # noqa: E402
from paintseg_layers.eval.datasets import list_dataset, load_sample  # noqa: E402
from paintseg_layers.eval.scenes import make_scene  # noqa: E402
from paintseg_layers.masks import bbox  # noqa: E402
from paintseg_layers.peel import PeelConfig, decompose  # noqa: E402
from paintseg_layers.timing import record_timings  # noqa: E402

log = logging.getLogger("speed")
DATA = ROOT.parent / "shared" / "data" / "grabcut"


# -- measuring ------------------------------------------------------------------------------------
def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux ``clear_refs``); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """Peak resident memory of this process since the last reset, in MiB (NaN where unknown)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def tree_pss_mib() -> float:
    """Proportional set size of this process and its children (worker processes), in MiB (NaN where unknown).

    A forked worker shares its parent's pages until it writes them: PSS splits shared pages among the processes
    that map them, so the sum is the memory the tree really holds (per-process RSS would count them twice).
    """
    pids, total = [os.getpid()], 0.0
    try:
        for task in Path("/proc/self/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except (OSError, ValueError):  # (a worker that just ended)
            if pid == pids[0]:
                return float("nan")
    return total


class TreePeak:
    """Peak of :func:`tree_pss_mib` while the block runs, sampled every ``every`` seconds on a thread."""

    def __init__(self, every: float = 0.05):
        self.every, self.peak = every, float("nan")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            self.peak = np.nanmax([self.peak, tree_pss_mib()])
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed(fn, *args, **kwargs):
    """``(result, seconds, stage seconds, peak RSS MiB)`` of one call."""
    reset_peak_rss()
    with record_timings() as stages:
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        secs = time.perf_counter() - t0
    return out, secs, stages, peak_rss_mib()


def grabcut_seconds(image: np.ndarray, box, repeats: int = 1) -> float:
    """Median wall time of ``cv2.grabCut`` on ``box`` at full size, 5 iterations (the eval's baseline)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        grabcut_box(image, box)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# -- data -----------------------------------------------------------------------------------------
def photos(n: int, smoke: bool):
    """``(name, image, box)`` of ``n`` GrabCut-set photos (boxes from the truth), else generated scenes."""
    if DATA.is_dir() and not smoke:
        for s in list_dataset(DATA, limit=n):
            t0 = time.perf_counter()
            image, gt, _ = load_sample(s)
            yield s.name, image, tuple(float(v) for v in bbox(gt)), time.perf_counter() - t0
        return
    for k in range(n):
        sc = make_scene(500 + k, size=(160, 120), n_objects=2, cutouts="none")
        yield f"scene{500 + k}", sc.image, tuple(float(v) for v in bbox(sc.objects[0].visible_mask)), 0.0


def photo_at(long_side: int, smoke: bool) -> np.ndarray:
    """One photo (the first of the GrabCut set, else a generated scene) resized to ``long_side`` x 3/4."""
    if DATA.is_dir() and not smoke:
        image = load_sample(list_dataset(DATA, limit=1)[0])[0]
    else:
        image = make_scene(7, size=(160, 120), n_objects=3, cutouts="none").image
    size = (long_side, max(2, round(long_side * 3 / 4)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if long_side < image.shape[1] else cv2.INTER_LINEAR)


def grid_boxes(shape, k: int) -> list[BoxPrompt]:
    """``k`` overlapping box prompts tiling the image (each cell grown by 4% of the long side)."""
    h, w = shape
    cols = int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    pad = 0.04 * max(h, w)
    out = []
    for i in range(k):
        r, c = divmod(i, cols)
        x0, x1 = c * w / cols, (c + 1) * w / cols
        y0, y1 = r * h / rows, (r + 1) * h / rows
        out.append(BoxPrompt((max(0.0, x0 - pad), max(0.0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad))))
    return out


# -- serial CPU of the decompose parts (a quiet 2-core machine modelled on a loaded one) ------------------------
#: (module, function, part): the decompose parts whose CPU ``--serial-cpu`` measures
PARTS = (("paintseg_layers.amcp.segmenter", "Segmenter.segment", "first pass"),
         ("paintseg_layers.peel.joint", "_colour_cost", "joint fits"),
         ("paintseg_layers.peel.joint", "alpha_expansion", "joint expansions"),
         ("paintseg_layers.peel.first_pass", "joint_labelling", "joint"),
         ("paintseg_layers.peel.engine", "shape_amodal", "shape"),  # (the hidden-part rule and the rim cut)
         ("paintseg_layers.peel.ellipse", "fit_rim", "rim fit"),  # (part of shape)
         ("paintseg_layers.peel.engine", "_fill", "fills"),
         ("paintseg_layers.peel.engine", "paint_plate", "plate"))


def serial_cpu(photo, counts, reps: int = 2):
    """Per object count: CPU seconds (``time.process_time``, everything on this thread) of each decompose part, and
    the 2-core wall they model before and after the first pass's workers took the fills and the joint's fits.

    On a busy machine wall times move 2x between runs; one thread's CPU does not. Model (seconds of CPU):
    first pass / 2 + joint (fits on GIL-bound threads: x 1 / 1.3) + the tail after the joint, ``shape +
    max(fills, plate)`` with the fills serial beside the plate's thread, against ``max(shape + plate, (shape + fills
    + plate) / 2)`` with the fills in the workers (and the fits: first one here, the rest on 2 workers, x 2 / 5).
    """
    import importlib  # noqa: PLC0415
    from unittest import mock  # noqa: PLC0415

    from paintseg_layers.painters.base import run_serially  # noqa: PLC0415

    acc: dict = {}

    def timed_part(fn, part):
        def run(*a, **kw):
            t0 = time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                acc[part] = acc.get(part, 0.0) + time.process_time() - t0
        return run

    patches = []
    for mod, name, part in PARTS:
        owner = importlib.import_module(mod)
        *path, attr = name.split(".")
        for p in path:
            owner = getattr(owner, p)
        patches.append(mock.patch.object(owner, attr, timed_part(getattr(owner, attr), part)))
    run_serially()  # (this process only measures from here on: the shared thread pool stays unused)
    rows = []
    for p in patches:
        p.start()
    try:
        for k in counts:
            got = []
            for _ in range(reps):
                acc.clear()
                t0 = time.process_time()
                decompose(photo, grid_boxes(photo.shape[:2], k), config=PeelConfig(duplicates="merge"), seed=0,
                          workers=1)
                got.append({**acc, "total": time.process_time() - t0})
            row = {part: float(np.mean([g.get(part, 0.0) for g in got])) for part in got[0]}
            j, fits, shape, fills, plate = (row.get(x, 0.0) for x in ("joint", "joint fits", "shape", "fills", "plate"))
            rest = row["total"] - row.get("first pass", 0.0) - j - shape - fills - plate
            base = row.get("first pass", 0.0) / 2 + (j - fits) + rest
            row["model old"] = base + fits / 1.3 + shape + max(fills, plate)
            row["model new"] = base + fits * 2 / 5 + max(shape + plate, (shape + fills + plate) / 2)
            rows.append({"objects": k, **row})
    finally:
        for p in patches:
            p.stop()
    names = list(rows[0])[1:]
    print(f"\nserial CPU seconds of the decompose parts ({photo.shape[1]}x{photo.shape[0]}, mean of {reps}; "
          "model: 2-core wall)")
    print(f"{'part':<18}" + "".join(f"{r['objects']:>9d}" for r in rows))
    for n in names:
        print(f"{n:<18}" + "".join(f"{r[n]:9.2f}" for r in rows))
    return rows


# -- tables ---------------------------------------------------------------------------------------
def segment_rows(args, *, samples: int = 5, painter: str = "telea", label: str = ""):
    rows = []
    cfg = AMCPConfig(samples=samples, paint_result=False)
    for name, image, box, io_seconds in photos(args.images, args.smoke):
        gc = grabcut_seconds(image, box)
        res, secs, stages, rss = timed(segment, image, BoxPrompt(box), painter=painter, config=cfg, seed=args.seed)
        stages["io.read"] = io_seconds
        rows.append({"table": "segment", "label": label, "image": name, "size": list(image.shape[1::-1]),
                     "samples": samples, "painter": painter, "seconds": secs, "grabcut_seconds": gc,
                     "ratio": secs / gc, "stages": stages, "peak_rss_mib": rss, "area": int(res.mask.sum())})
    return rows


def reference_seconds(args) -> float:
    """The reference GrabCut (central box of the base photo), measured now: the load of the moment."""
    ph, pw = args.photo.shape[:2]
    return grabcut_seconds(args.photo, (0.2 * pw, 0.2 * ph, 0.8 * pw, 0.8 * ph))


def decompose_row(image, k: int, args, *, save: bool = False, label: str = ""):
    prompts = grid_boxes(image.shape[:2], k)
    cfg = PeelConfig(duplicates="merge")
    before = reference_seconds(args)
    # the time: the median of ``--repeats`` runs without the memory sampler (reading the workers' smaps every
    # 50 ms stalls them: measured +10-15 % at 4 and 15 boxes); the memory: one more run, sampled
    runs = []
    for _ in range(max(1, args.repeats)):  # (each run's layers are let go before the next: full-size RGBA)
        dec = None
        dec, *run = timed(decompose, image, prompts, config=cfg, seed=args.seed)
        runs.append(run)
    secs, stages, rss = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    with TreePeak() as tree:
        dec = None
        dec, *sampled = timed(decompose, image, prompts, config=cfg, seed=args.seed)
    rss = max(rss, sampled[2])
    processes = int(stages.pop("processes", 0))  # the first pass's worker processes (0: threads or serial)
    reference = (before + reference_seconds(args)) / 2
    if save:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            dec.save(Path(tmp) / "layers")
            stages["io.save"] = time.perf_counter() - t0
    return {"table": "decompose", "label": label, "size": list(image.shape[1::-1]), "objects": k,
            "layers": len(dec.layers), "seconds": secs, "grabcut_seconds": reference, "ratio": secs / reference,
            "stages": stages, "peak_rss_mib": rss, "processes": processes, "peak_tree_pss_mib": tree.peak}


def fit_line(x, y):
    """``(a, b)`` of the least-squares line ``y ~ a + b x``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0:
        return float(np.mean(y)), 0.0
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b)


def stage_table(rows, title):
    names = sorted({k for r in rows for k in r["stages"]},
                   key=lambda k: -np.median([r["stages"].get(k, 0) for r in rows]))
    total = np.median([r["seconds"] for r in rows])
    print(f"\n{title} (median over {len(rows)} runs; total {total:.3f} s)")
    print(f"{'stage (segment.* nest inside decompose.*)':<28}")
    print(f"{'stage':<28} {'seconds':>8} {'share':>6}")
    for k in names:
        v = float(np.median([r["stages"].get(k, 0.0) for r in rows]))
        print(f"{k:<28} {v:8.3f} {v / max(total, 1e-9):6.1%}")


def scaling_table(rows, title, key):
    procs = "processes" in rows[0]  # decompose rows: the first pass's worker processes and the tree's memory
    extra = f" {'workers':>7} {'tree PSS MiB':>12}" if procs else ""
    print(f"\n{title}")
    print(f"{key:<10} {'size':>11} {'seconds':>8} {'x grabCut':>9} {'peak RSS MiB':>12}{extra}")
    for r in rows:
        size = "x".join(str(v) for v in r["size"])
        extra = f" {r['processes']:7d} {r['peak_tree_pss_mib']:12.0f}" if procs else ""
        print(f"{r[key]!s:<10} {size:>11} {r['seconds']:8.2f} {r['ratio']:9.2f} {r['peak_rss_mib']:12.0f}{extra}")


def summarise_segment(rows, key):
    """One row per value of ``key``: medians of seconds, ratio and peak RSS over the images."""
    out = []
    for v in dict.fromkeys(r[key] for r in rows):
        sel = [r for r in rows if r[key] == v]
        out.append({key: v, "size": sel[0]["size"], "seconds": float(np.median([r["seconds"] for r in sel])),
                    "ratio": float(np.median([r["ratio"] for r in sel])),
                    "peak_rss_mib": float(max(r["peak_rss_mib"] for r in sel))})
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny sizes and counts (CI): under a minute")
    p.add_argument("--images", type=int, default=None, help="GrabCut photos for the segment tables (default 10)")
    p.add_argument("--objects", type=int, default=4, help="box prompts of the decompose stage table")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="long sides (default 320 640 1280 4000 6000)")
    p.add_argument("--counts", type=int, nargs="+", default=None, help="object counts (default 1 2 4 8 15)")
    p.add_argument("--size-objects", type=int, default=5, help="box prompts in the image-size rows")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3,
                   help="decompose rows: the median of this many runs (default 3; --smoke: 1)")
    p.add_argument("--json", type=Path, default=None, help="also write every row and the cost model here")
    p.add_argument("--serial-cpu", type=int, nargs="+", default=None, metavar="OBJECTS",
                   help="only the decompose parts' CPU on one thread for these object counts, and the 2-core model")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    if args.images is None:
        args.images = 1 if args.smoke else 10
    if args.smoke:
        args.objects = min(args.objects, 2)
        args.size_objects = min(args.size_objects, 2)
        args.repeats = 1
    sizes = args.sizes or ([96, 160] if args.smoke else [320, 640, 1280, 4000, 6000])
    counts = args.counts or ([1, 2] if args.smoke else [1, 2, 4, 8, 15])
    samples = [1, 3] if args.smoke else [1, 5, 10]
    base = 160 if args.smoke else 640
    t_start = time.perf_counter()

    photo = args.photo = photo_at(base, args.smoke)
    if args.serial_cpu:
        serial_cpu(photo, args.serial_cpu)
        return 0
    ph, pw = photo.shape[:2]
    args.reference = grabcut_seconds(photo, (0.2 * pw, 0.2 * ph, 0.8 * pw, 0.8 * ph), repeats=3)
    print(f"reference: cv2.grabCut on the {pw}x{ph} photo, central box (60%), 5 iterations: "
          f"{args.reference:.3f} s (median of 3)")

    seg = segment_rows(args)
    stage_table(seg, f"segment stages, box prompts, {len(seg)} images (N = 5, telea)")
    gc = float(np.median([r["grabcut_seconds"] for r in seg]))
    print(f"segment median {np.median([r['seconds'] for r in seg]):.3f} s/img; same-run cv2.grabCut {gc:.3f} s/img; "
          f"median ratio {np.median([r['ratio'] for r in seg]):.2f}")

    dec_stage = [decompose_row(photo, args.objects, args, save=True)]
    stage_table(dec_stage, f"decompose stages, {photo.shape[1]}x{photo.shape[0]}, {args.objects} box prompts, "
                           f"first pass on {dec_stage[0]['processes']} worker processes (0: threads)")

    size_rows = [decompose_row(photo_at(s, args.smoke), args.size_objects, args, label="size") for s in sizes]
    for r in size_rows:
        r["long_side"] = r["size"][0]
    scaling_table(size_rows, f"decompose vs image size ({args.size_objects} box prompts)", "long_side")
    count_rows = [decompose_row(photo, k, args, label="objects") for k in counts]
    scaling_table(count_rows, f"decompose vs objects ({photo.shape[1]}x{photo.shape[0]})", "objects")
    n_rows = [r for n in samples for r in segment_rows(args, samples=n, label="samples")]
    sample_table = summarise_segment(n_rows, "samples")
    scaling_table(sample_table, f"segment vs samples N (median over {args.images} images)", "samples")
    painter_rows = [r for name in ("telea", "patchmatch") for r in segment_rows(args, painter=name, label="painter")]
    painter_table = summarise_segment(painter_rows, "painter")
    scaling_table(painter_table, "segment vs painter (N = 5)", "painter")

    a_o, b_o = fit_line([r["objects"] for r in count_rows], [r["seconds"] for r in count_rows])
    ra_o, rb_o = fit_line([r["objects"] for r in count_rows], [r["ratio"] for r in count_rows])
    a_n, c_n = fit_line([r["samples"] for r in sample_table], [r["seconds"] for r in sample_table])
    ra_n, rc_n = fit_line([r["samples"] for r in sample_table], [r["ratio"] for r in sample_table])
    mp = [r["size"][0] * r["size"][1] / 1e6 for r in size_rows]
    a_p, d_p = fit_line(mp, [r["seconds"] for r in size_rows])
    a_m, d_m = fit_line(mp, [r["peak_rss_mib"] for r in size_rows])
    model = {"decompose_seconds": {"a": a_o, "per_object": b_o}, "decompose_ratio": {"a": ra_o, "per_object": rb_o},
             "segment_seconds": {"a": a_n, "per_sample": c_n}, "segment_ratio": {"a": ra_n, "per_sample": rc_n},
             "decompose_seconds_vs_megapixels": {"a": a_p, "per_megapixel": d_p},
             "peak_rss_mib_vs_megapixels": {"a": a_m, "per_megapixel": d_m}}
    print("\ncost model (least squares on the scaling rows; ratio = seconds / same-run GrabCut)")
    print(f"decompose {photo.shape[1]}x{photo.shape[0]}: seconds ~ {a_o:.2f} + {b_o:.2f} * objects"
          f"   (ratio ~ {ra_o:.2f} + {rb_o:.2f} * objects)")
    print(f"segment:  seconds ~ {a_n:.3f} + {c_n:.3f} * N   (ratio ~ {ra_n:.2f} + {rc_n:.3f} * N)")
    print(f"decompose, {args.size_objects} objects: seconds ~ {a_p:.2f} + {d_p:.3f} * megapixels; "
          f"peak RSS MiB ~ {a_m:.0f} + {d_m:.0f} * megapixels")
    print(f"\ntotal {time.perf_counter() - t_start:.1f} s")
    if args.json:
        rows = seg + dec_stage + size_rows + count_rows + n_rows + painter_rows
        args.json.write_text(json.dumps({"reference_grabcut_seconds": args.reference, "rows": rows,
                                         "cost_model": model}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
