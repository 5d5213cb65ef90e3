"""The ``paintseg`` command line: ``main`` and one module per verb (``segment``, ``decompose``, ...)."""

from paintseg_layers.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
