"""``paintseg ui``: the editor in the browser (point at objects, peel them into layers, rearrange, export).

Starts a local server (FastAPI + uvicorn, the ``[ui]`` extra) and prints its URL. IMAGE is copied
into the workspace and opened; LAYER_DIR (a decomposition folder) is copied in and opened for editing.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
from pathlib import Path

from paintseg_layers.errors import BackendError, InputError

DEFAULT_WORKSPACE = "paintseg-workspace"


def register(sub) -> None:
    p = sub.add_parser("ui", help="the editor in the browser", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", nargs="?", type=Path, default=None, metavar="IMAGE | LAYER_DIR",
                   help="an image or a decomposition folder to open")
    p.add_argument("--workspace", type=Path, default=Path(DEFAULT_WORKSPACE), metavar="DIR",
                   help=f"where images, layer folders and edit lists are kept (default ./{DEFAULT_WORKSPACE})")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860; 0 = any free port)")
    p.add_argument("--max-upload-mb", type=float, default=None, metavar="MB", help="largest upload (default 20)")
    p.add_argument("--max-pixels", type=int, default=None, metavar="N", help="largest image in pixels (default 12e6)")
    p.set_defaults(func=run)


def _query(ws, source: Path | None) -> str:
    if source is None:
        return ""
    if source.is_dir():
        return f"?decomposition={ws.import_layers(source)}"
    if not source.is_file():
        raise InputError(f"`IMAGE | LAYER_DIR` must be an image file or a decomposition folder, got {source}")
    return f"?image={ws.import_image(source)}"


def run(args) -> int:
    missing = [m for m in ("fastapi", "uvicorn", "multipart") if importlib.util.find_spec(m) is None]
    if missing:
        raise BackendError(f"`paintseg ui` needs {', '.join(missing)}: pip install 'paintseg_layers[ui]'")
    if not 0 <= args.port <= 65535:
        raise InputError(f"`--port` must be in [0, 65535], got {args.port}")
    import uvicorn  # noqa: PLC0415 - optional extra [ui], imported on use

    from paintseg_layers.ui.server import create_app  # noqa: PLC0415 - needs the optional extra [ui]

    upload = None if args.max_upload_mb is None else int(args.max_upload_mb * 1024 * 1024)
    app = create_app(args.workspace, max_upload_bytes=upload, max_pixels=args.max_pixels)
    query = _query(app.state.workspace, args.source)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise InputError(f"`--port` {args.port} on {args.host} cannot be used ({exc.strerror}); try --port 0") from None
    sock.listen(128)  # connections made as soon as the URL is printed wait for uvicorn instead of failing
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"paintseg ui: http://{host}:{port}/{query}  (workspace {app.state.workspace.root}; Ctrl+C to stop)", flush=True
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
    return 0
