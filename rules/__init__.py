"""Built-in rules, one module per rule family. Each module defines :class:`Rule` objects with
the :func:`~lunalint.rules.base.rule` decorator; the registry collects them from these modules.
"""

BUILTIN_MODULES = (
    "lunalint.rules.syntax",
    "lunalint.rules.ha",
    "lunalint.rules.lib",
    "lunalint.rules.versions",
    "lunalint.rules.policies",
    "lunalint.rules.ops",
    "lunalint.rules.sec",
    "lunalint.rules.suppression",
)
