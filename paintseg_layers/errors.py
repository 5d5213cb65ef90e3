"""Exceptions that carry a message meant for the user.

The CLI prints ``str(exc)`` of these as one line and exits non-zero; the library raises them for
bad input (``InputError``) and for unusable backends (``BackendError``: a missing optional package,
a model that is not available locally).
"""


class InputError(ValueError):
    """Invalid user input: names the argument, the rule and the received value."""


class BackendError(RuntimeError):
    """A backend cannot be used: missing extra, unknown name, model not available offline."""
