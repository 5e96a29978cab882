"""fixbot: format-preserving fixes for GitHub Actions workflows, delivered as pull requests."""

__version__ = "0.1.0"
