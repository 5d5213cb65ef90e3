"""Name-keyed registries of backends, imported lazily.

A registry maps a name to ``"module:attribute"`` so that heavy backends (diffusers, transformers)
are imported only when asked for by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from paintseg_layers.errors import BackendError


@dataclass(frozen=True)
class Entry:
    """One registered backend and what ``paintseg backends`` says of it.

    Attributes
    ----------
    name : str
        The registered name (``--painter NAME``).
    target : str
        ``"module:attribute"`` of the class, imported on first use.
    options : dict
        Fixed constructor options for this name (e.g. ``{"method": "telea"}``).
    neural : bool
        Whether it runs a neural network (takes ``model``, ``device``, ``dtype``).
    extra : str or None
        The pip extra that installs what it needs.
    requires : tuple of str
        Importable modules it needs.
    default_model : str or None
        Hub id used when no ``model`` is given (neural backends).
    summary : str
    """

    name: str
    target: str
    options: dict = field(default_factory=dict)
    neural: bool = False
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
    """A small dict of :class:`Entry` with a helpful error on an unknown name.

    ``protocol`` is the runtime-checkable protocol that instances passed in place of a name must
    satisfy (see :meth:`resolve`).
    """

    def __init__(self, kind: str, protocol=None):
        self.kind = kind
        self.protocol = protocol
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
        """Instantiate backend ``name`` with ``options`` (added to the entry's fixed options)."""
        entry = self.entry(name)
        cls = entry.load()
        try:
            return cls(**entry.options, **options)
        except TypeError as exc:
            raise BackendError(f"{self.kind} {name!r} does not accept these options {sorted(options)}: {exc}") from None

    def resolve(self, backend, default: str, **options):
        """A backend object from a registered name, ``None`` (``default``) or an object used as is.

        Raises
        ------
        BackendError
            If an object lacks the protocol's declared members, or options are given with an object.
        """
        if backend is None or isinstance(backend, str):
            return self.create(backend or default, **options)
        if options:
            raise BackendError(f"options {sorted(options)} apply to a {self.kind} name, not to a {self.kind} object")
        if self.protocol is not None and not isinstance(backend, self.protocol):
            members = sorted(m for m in self.protocol.__annotations__ if not m.startswith("_")) + ["paint/project"]
            raise BackendError(f"{self.kind} object {type(backend).__name__} must declare {', '.join(members)} "
                               f"(subclass the Base{self.kind.capitalize()} class for the defaults)")
        return backend
