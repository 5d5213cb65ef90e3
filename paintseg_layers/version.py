"""The package version (one home, read by the CLI and the batch records)."""

__version__ = "0.1.0"
