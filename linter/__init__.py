"""lunalint: a static linter for Thales Luna HSM client configuration and tool exports."""

__version__ = "0.1.0"

# Where the rule pages and the project live (SARIF informationUri, rule help links).
REPOSITORY = "https://github.com/lunalint/lunalint"
