"""lunalint: a static linter for Thales Luna HSM client configuration and tool exports."""

__version__ = "0.1.0"
