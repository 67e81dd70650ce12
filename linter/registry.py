"""Find rules: the built-in modules listed in ``lunalint.rules``, then third-party rules from
the ``lunalint.rules`` entry-point group. An entry point may name a Rule, an iterable of
Rules, or a module (all Rules defined in it). A plugin that fails to load is reported as a
notice and skipped; the other rules still run.
"""

from __future__ import annotations


from lunalint.record import opt, record
from lunalint import record as records
import importlib
from types import ModuleType
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

from lunalint.rules import BUILTIN_MODULES
from lunalint.rules.base import Rule

ENTRY_POINT_GROUP = "lunalint.rules"


@record(frozen=False)
class Registry:
    rules: dict[str, Rule] = opt(factory=dict)
    notices: list[str] = opt(factory=list)

    def add(self, rule: Rule, origin: str) -> None:
        if rule.id in self.rules:
            self.notices.append(f"rule {rule.id} from {origin} ignored: the id is already taken "
                                f"by {self.rules[rule.id].origin}")
            return
        self.rules[rule.id] = rule

    def add_policies(self, policies) -> list[Rule]:
        """Register the configuration's organisation policies as rules (each one a
        :class:`~lunalint.rules.custom.PolicyRule`); returns those added."""
        if not policies:
            return []
        from lunalint.rules.custom import rules_of

        added = []
        for rule in rules_of(policies):
            if rule.id not in self.rules:
                added.append(rule)
            self.add(rule, rule.origin)
        return added

    def get(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id.upper())

    def sorted(self) -> list[Rule]:
        return sorted(self.rules.values(), key=lambda r: _id_key(r.id))


def _id_key(rule_id: str) -> tuple:
    head = rule_id.rstrip("0123456789")
    tail = rule_id[len(head):]
    return (head, int(tail) if tail else -1, rule_id)


def rules_in(obj: Any) -> list[Rule]:
    if isinstance(obj, Rule):
        return [obj]
    if isinstance(obj, ModuleType):
        found = [v for v in vars(obj).values() if isinstance(v, Rule)]
        return sorted(found, key=lambda r: _id_key(r.id))
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [r for item in obj for r in rules_in(item)]
    return []


def load_registry(plugins: bool = True) -> Registry:
    registry = Registry()
    for name in BUILTIN_MODULES:
        for rule in rules_in(importlib.import_module(name)):
            registry.add(rule, "lunalint")
    if plugins:
        _load_plugins(registry)
    return registry


def plugins_installed() -> bool:
    """True when an installed distribution may declare ``lunalint.rules`` entry points.

    A cheap look first: the ``entry_points.txt`` of each ``*.dist-info``/``*.egg-info`` on
    ``sys.path`` is searched for the group name. Only when one names it is
    ``importlib.metadata`` imported (it costs more at start-up than linting a file)."""
    import os
    import sys

    for base in sys.path:
        try:
            names = os.listdir(base or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(base or ".", name, "entry_points.txt"), "rb") as handle:
                    if ENTRY_POINT_GROUP.encode() in handle.read():
                        return True
            except OSError:
                continue
    return False


def _load_plugins(registry: Registry) -> None:
    if not plugins_installed():
        return
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.value
        try:
            loaded = ep.load()
        except Exception as error:  # a broken plugin must not stop the built-in rules
            registry.notices.append(f"plugin {ep.name!r} ({ep.value}) failed to load: "
                                    f"{type(error).__name__}: {error}")
            continue
        found = rules_in(loaded)
        if not found:
            registry.notices.append(f"plugin {ep.name!r} ({ep.value}) defines no lunalint rules")
        for rule in found:
            registry.add(records.replace(rule, origin=dist), f"plugin {dist}")
