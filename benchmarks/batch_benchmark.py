"""Images per minute of ``paintseg batch`` on the local engine (1 and 2 workers) and on Ray (2 workers).

    python benchmarks/batch_benchmark.py [--limit N] [--runs local-1,local-2,ray-2] [--smoke]

Segments the GrabCut images (``../shared/data/grabcut``) from their ground-truth boxes (the prompts
file of ``make_grabcut_prompts.py``), once per run into a fresh folder, with the library defaults
and seed 0. Prints one table: wall time, images per minute and the ratio to the first run, the
summed per-image wall and CPU seconds, the CPU share (CPU time of the working threads over their
wall time: 1 when each worker has a core to itself, lower when other programs take the cores, and
then no engine can scale), and the overhead (wall time not spent on images: process or actor
start-up, scheduling). A local Ray instance is started once before the Ray runs (as a cluster is
started once, then used) and its start time is shown apart, with a row that includes it. It also
checks that every run wrote byte-identical masks. ``--smoke`` runs 4 small generated scenes with
1 sample instead (a quick check that the script works).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_grabcut_prompts import DEFAULT_DATA, prompt_lines

from paintseg_layers import AMCPConfig, make_scene, write_image
from paintseg_layers.batch import run


def parse_runs(text: str) -> list[tuple[str, int]]:
    runs = []
    for word in text.split(","):
        engine, _, n = word.strip().partition("-")
        if engine not in ("local", "ray") or not n.isdigit() or int(n) < 1:
            raise SystemExit(f"--runs: expected ENGINE-N items such as local-2 or ray-2, got {word!r}")
        runs.append((engine, int(n)))
    return runs


def smoke_inputs(folder: Path) -> tuple[Path, Path]:
    images = folder / "images"
    images.mkdir(parents=True)
    lines = []
    for seed in range(4):
        scene = make_scene(seed, size=(128, 96), n_objects=2)
        write_image(images / f"s{seed}.png", scene.image)
        lines.append(json.dumps({"image": f"s{seed}.png", "objects": [{"box": list(scene.objects[0].visible_box)}]}))
    prompts = folder / "prompts.jsonl"
    prompts.write_text("\n".join(lines) + "\n")
    return images, prompts


def grabcut_inputs(folder: Path, data: Path, limit: int | None) -> tuple[Path, Path]:
    lines = prompt_lines(data, limit)
    listing = folder / "images.txt"
    listing.write_text("".join(str((data / "images" / json.loads(line)["image"]).resolve()) + "\n" for line in lines))
    prompts = folder / "prompts.jsonl"
    prompts.write_text("\n".join(lines) + "\n")
    return listing, prompts


def mask_hashes(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((out / "masks").glob("*.png")):
        h.update(p.name.encode() + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="batch_benchmark.py", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="GrabCut-style folder (images/, masks/)")
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--runs", default="local-1,local-2,ray-2", help="comma-separated ENGINE-WORKERS (first = baseline)")
    p.add_argument("--samples", type=int, default=None, help="painted samples per step (default: the library's)")
    p.add_argument("--smoke", action="store_true", help="4 generated scenes, 1 sample: checks that the script runs")
    p.add_argument("--repeat", type=int, default=1,
                   help="rounds over the runs, interleaved (each row is then the round with the median wall time)")
    p.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    args = p.parse_args(argv)
    runs = parse_runs(args.runs)
    config = AMCPConfig(samples=1, steps="IO") if args.smoke else (
        AMCPConfig() if args.samples is None else AMCPConfig(samples=args.samples))
    if args.repeat < 1:
        raise SystemExit(f"--repeat: expected an integer >= 1, got {args.repeat}")
    load = os.getloadavg()[0]
    done: dict = {}
    with tempfile.TemporaryDirectory(prefix="batch_bench.") as tmp:
        tmp = Path(tmp)
        inputs, prompts = smoke_inputs(tmp) if args.smoke else grabcut_inputs(tmp, args.data, args.limit)
        ray_start = None
        for round_ in range(args.repeat):  # interleaved, so a change of machine load hits every run alike
            for engine, workers in runs:
                if engine == "ray" and ray_start is None:  # started once, as a cluster would be; timed apart
                    import ray

                    t0 = time.perf_counter()
                    ray.init(
                        num_cpus=max(w for e, w in runs if e == "ray"), include_dashboard=False, log_to_driver=False
                    )
                    ray_start = time.perf_counter() - t0
                out = tmp / f"{engine}-{workers}-{round_}"
                t0 = time.perf_counter()
                report = run(inputs, out, task="segment", prompts=prompts, config=config, engine=engine,
                             workers=workers, progress=False)
                wall = time.perf_counter() - t0
                n = report.ok
                compute = sum(r["seconds"] for r in report.records)
                cpu = sum(r.get("cpu_seconds", 0.0) for r in report.records)
                done.setdefault(f"{engine}-{workers}", []).append({
                    "run": f"{engine}-{workers}", "images": n, "failed": report.failed, "wall_s": round(wall, 2),
                    "images_per_min": round(60 * n / wall, 2), "compute_s": round(compute, 2), "cpu_s": round(cpu, 2),
                    "cpu_share": round(cpu / compute, 2) if compute else 0.0,
                    "overhead_s": round(wall - compute / workers, 2), "masks": mask_hashes(out), "workers": workers})
        if ray_start is not None:
            ray.shutdown()
    rows = []
    for name, tries in done.items():
        row = sorted(tries, key=lambda r: r["wall_s"])[(len(tries) - 1) // 2]
        row["walls"] = [r["wall_s"] for r in tries]
        row["masks"] = tries[0]["masks"] if len({r["masks"] for r in tries}) == 1 else "DIFFER"
        rows.append(row)
        if name.startswith("ray"):
            w = row["wall_s"] + ray_start
            rows.append({**row, "run": f"{name} incl. Ray start", "wall_s": round(w, 2),
                         "images_per_min": round(60 * row["images"] / w, 2),
                         "overhead_s": round(w - row["compute_s"] / row["workers"], 2)})
    base = rows[0]["images_per_min"]
    print(f"segment, {rows[0]['images']} images, {config.samples} samples, seed 0, {os.cpu_count()} CPUs, "
          f"{args.repeat} round(s); load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print(
        "| run | images | wall s | images/min | ratio | compute s (sum) | CPU s (sum) | CPU share | overhead s "
        "| masks sha256 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        r["ratio"] = round(r["images_per_min"] / base, 2)
        print(
            f"| {r['run']} | {r['images']} | {r['wall_s']:.1f} | {r['images_per_min']:.1f} | {r['ratio']:.2f}x | "
            f"{r['compute_s']:.1f} | {r['cpu_s']:.1f} | {r['cpu_share']:.2f} | {r['overhead_s']:.1f} | {r['masks']} |"
        )
    if args.repeat > 1:
        print(
            "wall s of every round: " + "; ".join(f"{r['run']} {r['walls']}" for r in rows if "incl." not in r["run"])
        )
    if ray_start is not None:
        print(
            f"Ray instance start: {ray_start:.1f} s (once per cluster; the ray rows without it joined a running "
            "instance)"
        )
    same = len({r["masks"] for r in rows}) == 1
    print("identical masks in every run: " + ("yes" if same else "NO"))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0 if same and not any(r["failed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
