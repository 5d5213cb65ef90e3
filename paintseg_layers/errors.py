"""Exceptions that carry a message meant for the user.

The CLI prints ``str(exc)`` of these as one line and exits non-zero; the library raises them for
bad input (``InputError``) and for unusable backends (``BackendError``: a missing optional package,
a model that is not available locally).
"""

import numpy as np


class InputError(ValueError):
    """Invalid user input: names the argument, the rule and the received value."""


class BackendError(RuntimeError):
    """A backend cannot be used: missing extra, unknown name, model not available offline."""


def check_known_keys(data: dict, known, what: str) -> None:
    """Raise :class:`InputError` naming unknown keys of a settings dict (e.g. a recipe file)."""
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InputError(f"unknown {what} setting(s) {unknown}; known: {sorted(known)}")


def is_number(value) -> bool:
    """Whether ``value`` is a finite real number (Python or numpy, not bool)."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            and bool(np.isfinite(value)))


def is_int(value, minimum=None, maximum=None) -> bool:
    """Whether ``value`` is an integer (Python or numpy, not bool) within ``[minimum, maximum]`` (each optional)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return False
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
