"""The editor's HTTP server: a thin JSON layer over the library, and the page's static files.

Endpoints (all JSON unless noted; errors are ``{"error": message}`` with a 4xx status):

=========================================  ====================================================
``GET  /api/info``                         version, workspace, limits, backends, palette
``GET  /api/images``                       workspace images
``POST /api/images``                       upload (multipart ``file``) -> ``{"name", "size"}``
``GET  /api/files/{path}``                 a workspace file (PNG); paths are confined to it
``POST /api/segment``                      ``{image, prompt, settings, color}`` -> mask overlay
``POST /api/decompose``                    ``{image, prompts, settings, discover}`` -> ``{job}``
``GET  /api/jobs/{id}``                    state, progress, message, result or error
``GET  /api/decompositions``               names of the layer folders
``GET  /api/decompositions/{name}``        order, layers, saved edit list
``POST /api/compose``                      ``{decomposition, edits, hidden}`` -> what the canvas shows
``POST /api/export``                       ``{decomposition, edits, format}`` -> a file (png, ora, psd, zip, json)
=========================================  ====================================================
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from paintseg_layers import (
    BackendError,
    Decomposition,
    InputError,
    __version__,
    apply_edits,
    compose,
    export_decomposition,
    read_image,
)
from paintseg_layers.compose.script import dumps_edits
from paintseg_layers.ui import operations as ops
from paintseg_layers.ui.jobs import JobRunner
from paintseg_layers.ui.workspace import Workspace, safe_name

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_FILE = File(...)
EXPORT_TYPES = {"png": "image/png", "ora": "image/openraster", "psd": "image/vnd.adobe.photoshop",
                "zip": "application/zip", "json": "application/json"}


class _Cache:
    """Last few decoded images / loaded decompositions, keyed by path and modification time."""

    def __init__(self, size: int = 8):
        self.size, self.items, self.lock = size, {}, threading.Lock()

    def get(self, path: Path, load):
        key = (str(path), path.stat().st_mtime_ns)
        with self.lock:
            if key in self.items:
                return self.items[key]
        value = load(path)
        with self.lock:
            while len(self.items) >= self.size:
                self.items.pop(next(iter(self.items)))
            self.items[key] = value
        return value


def _body(data, *keys: str) -> dict:
    if not isinstance(data, dict):
        raise InputError(f"request body must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(keys))
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(keys)}")
    return data


async def _json(request: Request):
    try:
        return await request.json()
    except ValueError:
        raise InputError("request body must be JSON") from None


def create_app(workspace, *, max_upload_bytes: int | None = None, max_pixels: int | None = None,
               workers: int = 1) -> FastAPI:
    """The editor's FastAPI application over ``workspace`` (a folder, created if missing).

    Parameters
    ----------
    workspace : path
        Where images, decomposition folders and edit lists live.
    max_upload_bytes, max_pixels : int, optional
        Limits on uploads (defaults: :data:`~paintseg_layers.ui.workspace.MAX_UPLOAD_BYTES`,
        :data:`~paintseg_layers.ui.workspace.MAX_PIXELS`).
    workers : int
        Decompositions running at once.
    """
    limits = {k: v for k, v in (("max_upload_bytes", max_upload_bytes), ("max_pixels", max_pixels)) if v is not None}
    ws = Workspace(workspace, **limits)
    jobs = JobRunner(workers)
    images, decs = _Cache(), _Cache()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        jobs.shutdown()

    app = FastAPI(title="paintseg ui", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.workspace, app.state.jobs = ws, jobs

    @app.exception_handler(InputError)
    async def _input_error(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(BackendError)
    async def _backend_error(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request, exc):  # the page gets a message; the server keeps answering
        log.exception("unexpected failure on %s", request.url.path)
        return JSONResponse({"error": f"unexpected {exc.__class__.__name__}: {exc}"}, status_code=500)

    @app.exception_handler(HTTPException)
    async def _http_error(request, exc):
        return JSONResponse({"error": f"{exc.detail}: {request.url.path}"}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request, exc):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or "body"
        return JSONResponse({"error": f"bad request: `{where}`: {first.get('msg', 'invalid')}"}, status_code=400)

    @app.middleware("http")
    async def _upload_limit(request: Request, call_next):
        # refuse an oversized upload from its header, before the multipart parser spools it
        size = request.headers.get("content-length")
        if request.method == "POST" and size and size.isdigit() and int(size) > ws.max_upload_bytes + 65536:
            return JSONResponse({"error": f"upload must be at most {ws.max_upload_bytes} bytes, got {size}"},
                                status_code=413)
        return await call_next(request)

    def image(name: str):
        return images.get(ws.image_path(name), lambda p: read_image(p))

    def decomposition(name: str) -> Decomposition:
        return decs.get(ws.layers_path(name) / "manifest.json", lambda p: Decomposition.load(p.parent))

    @app.get("/api/info")
    def info():
        return {"version": __version__, "workspace": str(ws.root), "max_upload_bytes": ws.max_upload_bytes,
                "max_pixels": ws.max_pixels, "backends": ops.backends(),
                "palette": [ops.hex_colour(c) for c in ops.PALETTE]}

    @app.get("/api/images")
    def list_images():
        return {"images": ws.images()}

    @app.post("/api/images")
    async def upload(file: UploadFile = _FILE):
        data = await file.read(ws.max_upload_bytes + 1)
        name = ws.add_image(data, file.filename or "upload")
        h, w = image(name).shape[:2]
        return {"name": name, "size": [w, h]}

    @app.get("/api/files/{path:path}")
    def files(path: str):
        p = ws.resolve(path)
        if not p.is_file() or p.suffix.lower() not in (".png", ".json"):
            raise InputError(f"`path` must name a PNG or JSON file of the workspace, got {path!r}")
        return FileResponse(p)

    @app.post("/api/segment")
    def do_segment(body: dict):
        body = _body(body, "image", "prompt", "settings", "color")
        img = image(body.get("image"))
        result = ops.run_segment(img, body.get("prompt"), body.get("settings"))
        colour = body.get("color") or "#e6194b"
        try:
            rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        except (TypeError, ValueError):
            raise InputError(f"`color` must be '#rrggbb', got {colour!r}") from None
        m = result.mask
        ys, xs = m.nonzero()
        return {"mask": ops.data_url(ops.mask_overlay(m, rgb)), "area": int(m.sum()),
                "box": [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1] if xs.size else None}

    @app.post("/api/decompose")
    def do_decompose(body: dict):
        body = _body(body, "image", "prompts", "settings", "discover", "name")
        name = body.get("image")
        img = image(name)
        prompts, settings, discover = body.get("prompts", []), body.get("settings"), bool(body.get("discover"))
        ops.parse_settings(settings)  # refuse bad settings and prompts now, not in the job
        ops.parse_prompts(prompts, img.shape[:2], discover=discover)
        out = ws.unique("layers", body.get("name") or Path(name).stem)

        def job(report):
            dec = ops.run_decompose(img, prompts, settings, discover=discover, report=report)
            dec.save(ws.layers_path(out, exists=False))
            ws.save_edits(out, ())
            return {"decomposition": out, "order": dec.order}

        return {"job": jobs.submit("decompose", job)}

    @app.get("/api/jobs/{jid}")
    def job_state(jid: str):
        job = jobs.get(jid)
        if job is None:
            return JSONResponse({"error": f"no job {jid!r}"}, status_code=404)
        return job

    @app.get("/api/decompositions")
    def list_decompositions():
        return {"decompositions": ws.decompositions()}

    @app.get("/api/decompositions/{name}")
    def describe(name: str):
        dec = decomposition(name)
        return {"name": name, "order": dec.order, "size": list(dec.image_size),
                "boxes": [ops.alpha_box(layer.rgba) for layer in dec.layers],
                "edits": ws.edits_to_page(ws.load_edits(name))}

    @app.post("/api/compose")
    def do_compose(body: dict):
        body = _body(body, "decomposition", "edits", "hidden")
        name = safe_name(body.get("decomposition"), what="decomposition")
        dec = decomposition(name)
        edits = ws.edits_from_page(body.get("edits", []))
        hidden = body.get("hidden") or []
        if not isinstance(hidden, list) or not all(isinstance(h, str) for h in hidden):
            raise InputError(f"`hidden` must be a list of layer ids, got {hidden!r}")
        state = ops.arrangement(dec, edits, hidden=tuple(hidden))
        ws.save_edits(name, edits)  # a restart loses nothing
        return state

    @app.post("/api/export")
    def do_export(body: dict):
        body = _body(body, "decomposition", "edits", "format")
        name = safe_name(body.get("decomposition"), what="decomposition")
        fmt = body.get("format")
        if fmt not in EXPORT_TYPES:
            raise InputError(f"`format` must be one of {', '.join(EXPORT_TYPES)}, got {fmt!r}")
        dec = decomposition(name)
        edits = ws.edits_from_page(body.get("edits", []))
        headers = {"Content-Disposition": f'attachment; filename="{name}.{"edits.json" if fmt == "json" else fmt}"'}
        if fmt == "json":
            return Response(dumps_edits(edits), media_type=EXPORT_TYPES[fmt], headers=headers)
        if fmt == "png":
            return Response(ops.png_bytes(compose(dec, edits)), media_type=EXPORT_TYPES[fmt], headers=headers)
        edited = apply_edits(dec, edits)
        tmp = Path(tempfile.mkdtemp(prefix=".export.", dir=ws.root))
        try:
            if fmt == "zip":
                folder = edited.save(tmp / name)
                with zipfile.ZipFile(tmp / "out.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                    for f in sorted(folder.iterdir()):
                        zf.write(f, f"{name}/{f.name}")
                data = (tmp / "out.zip").read_bytes()
            else:
                data = export_decomposition(edited, tmp / f"out.{fmt}", format=fmt).read_bytes()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return Response(data, media_type=EXPORT_TYPES[fmt], headers=headers)

    app.mount("/", StaticFiles(directory=STATIC, html=True), name="static")
    return app
