"""Latency of ``paintseg ui``'s server against the same library calls made directly (issue 15).

    python benchmarks/ui_latency.py                 # 20 requests each (a few minutes on 2 cores)
    python benchmarks/ui_latency.py --requests 5
    python benchmarks/ui_latency.py --smoke         # 2 requests, 1 sample: checks that it runs

The server (``create_app`` under uvicorn) runs in this process on 127.0.0.1 and is called over HTTP.
Two operations, each timed end to end from the client, interleaved with the direct call so that
machine load affects both alike:

* **segment one box** on a 640 x 480 photo (a GrabCut image from ``../shared/data/grabcut``, or
  ``examples/coffee.png``, resized): ``POST /api/segment`` (JSON in, PNG mask overlay out) vs
  :func:`paintseg_layers.segment`.
* **decompose 3 boxes** on ``examples/shapes.png``: ``POST /api/decompose``, then polling the job
  every 20 ms until done (the job also writes the layer folder) vs :func:`paintseg_layers.decompose`.

The table gives medians in seconds and the server's overhead as a ratio (target: under 1.2x).
"""

from __future__ import annotations

import argparse
import logging
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers import (
    AMCPConfig,
    BoxPrompt,
    PeelConfig,
    decompose,
    read_image,
    segment,
)
from paintseg_layers.ui.server import create_app

GRABCUT = ROOT.parent / "shared" / "data" / "grabcut"
PHOTO_ID = "153077"
SHAPES_BOXES = ([130, 44, 230, 160], [186, 41, 319, 156], [220, 75, 291, 184])


def photo_640x480(folder: Path) -> tuple[Path, list[int], str]:
    """A 640 x 480 photo and a box around its object (from the GrabCut mask, or a fixed one)."""
    src, mask = GRABCUT / "images" / f"{PHOTO_ID}.jpg", GRABCUT / "masks" / f"{PHOTO_ID}.png"
    if src.is_file() and mask.is_file():
        img = Image.open(src).convert("RGB").resize((640, 480), Image.BILINEAR)
        m = np.asarray(Image.open(mask).convert("L").resize((640, 480), Image.NEAREST)) > 127
        ys, xs = np.nonzero(m)
        box = [
            max(0, int(xs.min()) - 8),
            max(0, int(ys.min()) - 8),
            min(640, int(xs.max()) + 9),
            min(480, int(ys.max()) + 9),
        ]
        name = f"grabcut/{PHOTO_ID}.jpg"
    else:
        img = Image.open(ROOT / "examples" / "coffee.png").convert("RGB").resize((640, 480), Image.BILINEAR)
        box, name = [80, 12, 516, 416], "examples/coffee.png"
    path = folder / "photo.png"
    img.save(path)
    return path, box, name


def start_server(workspace: Path):
    app = create_app(workspace)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, app, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20, help="requests per operation (default 20)")
    p.add_argument("--samples", type=int, default=None, help="AMCP samples (default: the library's)")
    p.add_argument("--smoke", action="store_true", help="2 requests, 1 sample, working size 160: a quick run check")
    args = p.parse_args(argv)
    if args.requests < 1:
        p.error(f"--requests must be >= 1, got {args.requests}")
    n = 2 if args.smoke else args.requests
    over = {"samples": 1, "working_size": 160} if args.smoke else ({"samples": args.samples} if args.samples else {})
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photo, box, photo_name = photo_640x480(tmp)
        server, app, url = start_server(tmp / "ws")
        ws = app.state.workspace
        photo_ws, shapes_ws = ws.import_image(photo), ws.import_image(ROOT / "examples" / "shapes.png")
        photo_img, shapes_img = read_image(photo), read_image(ROOT / "examples" / "shapes.png")
        cfg = AMCPConfig(**over)
        times = {k: [] for k in ("seg_direct", "seg_server", "dec_direct", "dec_server")}
        with httpx.Client(base_url=url, timeout=600) as client:
            # one untimed call each way first: imports, caches and the first request's set-up
            segment(photo_img, BoxPrompt(tuple(box)), config=cfg, seed=0)
            client.post("/api/segment", json={"image": photo_ws, "prompt": {"kind": "box", "box": box},
                                              "settings": over}).raise_for_status()
            for _ in range(n):
                t0 = time.perf_counter()
                segment(photo_img, BoxPrompt(tuple(box)), config=cfg, seed=0)
                times["seg_direct"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                r = client.post("/api/segment", json={"image": photo_ws, "prompt": {"kind": "box", "box": box},
                                                      "settings": over})
                r.raise_for_status()
                times["seg_server"].append(time.perf_counter() - t0)
            for _ in range(n):
                t0 = time.perf_counter()
                decompose(shapes_img, [BoxPrompt(tuple(b)) for b in SHAPES_BOXES], config=PeelConfig(amcp=cfg), seed=0)
                times["dec_direct"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                r = client.post("/api/decompose", json={"image": shapes_ws, "settings": over,
                                                        "prompts": [{"kind": "box", "box": b} for b in SHAPES_BOXES]})
                r.raise_for_status()
                while (job := client.get(f"/api/jobs/{r.json()['job']}").json())["state"] not in ("done", "failed"):
                    time.sleep(0.02)
                if job["state"] != "done":
                    raise SystemExit(f"decompose job failed: {job['error']}")
                times["dec_server"].append(time.perf_counter() - t0)
        server.should_exit = True
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"paintseg ui latency: {n} requests each, medians in seconds, settings {over or 'library defaults'}")
    print("| operation | direct library call | through the server | ratio |")
    print("|---|---|---|---|")
    for label, key in (
        (f"segment one box, 640 x 480 ({photo_name})", "seg"),
        ("decompose 3 boxes, examples/shapes.png", "dec"),
    ):
        d, s = med[f"{key}_direct"], med[f"{key}_server"]
        print(f"| {label} | {d:.3f} | {s:.3f} | {s / d:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
