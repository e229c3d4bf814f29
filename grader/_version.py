"""The single version string of the package."""

__version__ = "0.1.0"
