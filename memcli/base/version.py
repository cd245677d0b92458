"""The package version: one place, read by pyproject and the export format."""

__version__ = "0.1.0"
