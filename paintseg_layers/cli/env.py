"""``paintseg env``: versions, compute device and offline state."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform

from paintseg_layers.version import __version__


def register(sub) -> None:
    p = sub.add_parser("env", help="print versions, device and offline state", description=__doc__)
    p.set_defaults(func=run)


def run(args) -> int:

    print(
        f"paintseg_layers {__version__}  python {platform.python_version()}  {platform.system()} {platform.machine()}"
    )
    for pkg in ("numpy", "opencv-python-headless", "scikit-image", "scikit-learn", "torch", "diffusers", "transformers",
                "accelerate", "pypatchmatch", "PyMaxflow", "psd-tools", "networkx"):
        try:
            ver = md.version(pkg)
        except md.PackageNotFoundError:
            ver = "not installed"
        print(f"  {pkg:<24} {ver}")
    try:
        import torch  # noqa: PLC0415 - optional heavy dependency, imported on use

        cuda = torch.cuda.is_available()
        dev = f"cuda ({torch.cuda.get_device_name(0)})" if cuda else "cpu"
        print(f"  device: {dev}; torch threads {torch.get_num_threads()}")
    except ImportError:
        print("  device: torch not installed")
    offline = any(
        os.environ.get(v, "").lower() in ("1", "true", "yes") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )
    print(
        f"  offline: HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE', '')!s:<3} (neural backends "
        + ("use only the local cache)" if offline else
           "may download; set HF_HUB_OFFLINE=1 or pass a local folder to --painter-model/--projector-model)")
    )
    print(f"  hf cache: {os.environ.get('HF_HOME', os.path.expanduser('~/.cache/huggingface'))}")
    return 0
