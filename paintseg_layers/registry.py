"""Name-keyed registries of backends, imported lazily.

A registry maps a name to ``"module:attribute"`` so that heavy backends (diffusers, transformers)
are imported only when asked for by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from paintseg_layers.errors import BackendError


@dataclass(frozen=True)
class Entry:
    """One registered backend: where it lives, the pip extra it needs, its default model."""

    name: str
    target: str
    extra: str | None = None
    requires: tuple[str, ...] = ()
    default_model: str | None = None
    summary: str = ""

    def installed(self) -> bool:
        """Whether the optional packages this backend needs can be imported."""
        return all(importlib.util.find_spec(mod) is not None for mod in self.requires)

    def load(self):
        module, _, attr = self.target.partition(":")
        missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
        if missing:
            hint = f"pip install 'paintseg_layers[{self.extra}]'" if self.extra else f"pip install {' '.join(missing)}"
            raise BackendError(f"backend {self.name!r} needs {', '.join(missing)}, which is not installed: {hint}")
        return getattr(importlib.import_module(module), attr)


class Registry:
    """A small dict of :class:`Entry` with a helpful error on an unknown name."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, entry: Entry) -> None:
        self._entries[entry.name] = entry

    def names(self) -> list[str]:
        return list(self._entries)

    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def entry(self, name: str) -> Entry:
        if name not in self._entries:
            raise BackendError(f"unknown {self.kind} {name!r}; available: {', '.join(self._entries)}")
        return self._entries[name]

    def create(self, name: str, **options):
        """Instantiate backend ``name`` with ``options``."""
        cls = self.entry(name).load()
        try:
            return cls(**options)
        except TypeError as exc:
            raise BackendError(f"{self.kind} {name!r} does not accept these options {sorted(options)}: {exc}") from None
