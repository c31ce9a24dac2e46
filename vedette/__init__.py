"""Vedette: watches defense-news sites and tells analysts when they mention what they track."""

# The one place the version is written: pyproject.toml reads it from here at build time
# (`[tool.setuptools.dynamic]`), so a start never pays for a package-metadata lookup.
__version__ = "0.1.0"

__all__ = ["__version__"]
