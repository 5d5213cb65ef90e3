"""``paintseg ui``: the editor in the browser (needs the ``[ui]`` extra: fastapi, uvicorn, python-multipart).

``server.py`` builds the FastAPI app (:func:`create_app`), a thin JSON layer over the library;
``operations.py`` turns the page's JSON into library calls; ``jobs.py`` runs decompositions off the
request loop with progress; ``workspace.py`` keeps images, layer folders and edit lists on disk with
every path confined to the workspace; ``static/`` is the page (plain HTML, CSS and JS modules).
"""


def __getattr__(name):
    if name == "create_app":  # imported on use, so that the package imports without fastapi
        from paintseg_layers.ui.server import create_app  # noqa: PLC0415 - needs the optional extra [ui]

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["create_app"]
