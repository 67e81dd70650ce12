"""LUNALINT-SUP: problems with suppressions themselves (inline directives and waivers).

These findings are not made by a check over the model: ``lunalint.suppress`` makes them after
every other rule ran, because only then is it known which directive hid which finding. The
check functions below therefore report nothing; the rules exist so that the IDs, levels and
help text are registered like every other rule (``--list-rules``, ``--explain``, SARIF's rule
table, ``--select``/``--ignore``, ``level`` overrides in the configuration file).
"""

from __future__ import annotations

from collections.abc import Iterator

from lunalint.findings import Level
from lunalint.model import Document
from lunalint.rules import sources
from lunalint.rules.base import Context, Problem, rule

_REFERENCE = ("lunalint's suppressions (README, \"Suppressions\" and \"Configuration file\"): "
              "a reason is required; directives without one, naming an unknown "
              "rule, or not used are reported, and an expired waiver stops working.")
_OWN = dict(basis=sources.OWN, basis_note="lunalint's own suppression directives and waivers")


def _nothing(doc: Document, ctx: Context) -> Iterator[Problem]:
    return iter(())


@rule("LUNALINT-SUP001", "suppression-without-reason", Level.WARNING, scope="document",
      summary="An inline `lunalint: ignore[...]` directive gives no reason",
      reference=_REFERENCE, **_OWN,
      fix="Write why the finding is accepted after the closing bracket, for example "
          "`# lunalint: ignore[HA101] lab client, no STC, slots are pinned by serial`.",
      bad="""
          HAConfiguration = {
             # lunalint: ignore[HA101]
             HAOnly = 0;
          }""",
      good="""
          HAConfiguration = {
             # lunalint: ignore[HA101] lab client without STC; apps pin member slots
             HAOnly = 0;
          }""",
      tags=("suppression",))
def sup001(doc: Document, ctx: Context) -> Iterator[Problem]:
    """A suppression is a decision someone made; the reason is what lets a reviewer, or the
    same person a year later, judge whether it still holds. A directive without a reason
    does not suppress anything: the finding it names stays visible, and this finding points at
    the directive."""
    return _nothing(doc, ctx)


@rule("LUNALINT-SUP002", "suppression-unknown-rule", Level.WARNING, scope="document",
      summary="An inline directive names an unknown rule or is not written as "
              "`lunalint: ignore[RULE,...] reason`",
      reference=_REFERENCE, **_OWN,
      fix="Use rule IDs from `lunalint --list-rules`, comma-separated inside the brackets: "
          "`# lunalint: ignore[HA101,HA102] reason`.",
      bad="""
          HAConfiguration = {
             HAOnly = 0;  # lunalint: ignore[HA-101] lab client
          }""",
      good="""
          HAConfiguration = {
             HAOnly = 0;  # lunalint: ignore[HA101] lab client
          }""",
      tags=("suppression",))
def sup002(doc: Document, ctx: Context) -> Iterator[Problem]:
    """A typo in a rule ID makes a directive silently suppress nothing, or, when it is later
    corrected, something unexpected. Unknown IDs and directives that do not follow the
    `lunalint: ignore[RULE,...] reason` form are reported; the known rules of such a directive
    still apply."""
    return _nothing(doc, ctx)


@rule("LUNALINT-SUP003", "suppression-unused", Level.WARNING, scope="document",
      summary="An inline directive suppresses nothing",
      reference=_REFERENCE, **_OWN,
      fix="Delete the directive (or the rule ID that is no longer needed): the problem it "
          "accepted is gone, or the directive is not on the finding's line or the line above.",
      bad="""
          HAConfiguration = {
             # lunalint: ignore[HA101] lab client
             HAOnly = 1;
          }""",
      good="""
          HAConfiguration = {
             HAOnly = 1;
          }""",
      tags=("suppression",))
def sup003(doc: Document, ctx: Context) -> Iterator[Problem]:
    """A directive that hides nothing is noise at best; at worst it will hide a future,
    different problem on that line without anyone deciding so. A directive applies to its
    own line when it follows an entry, and to the next line that is not a comment when it
    stands alone. Rules left out by `--select`/`--ignore` are not counted as unused."""
    return _nothing(doc, ctx)


@rule("LUNALINT-SUP004", "waiver-expired", Level.WARNING, scope="document",
      summary="A waiver in the configuration file is past its `expires` date",
      reference=_REFERENCE, **_OWN,
      fix="Fix the findings the waiver hid, or, if the decision still holds, review it and set "
          "a new `expires` date.",
      bad="""
          waivers:
            - rule: HA101
              path: configs/lab/*.conf
              reason: lab client until the STC rollout
              expires: 2024-01-31""",
      good="""
          waivers:
            - rule: HA101
              path: configs/lab/*.conf
              reason: lab client until the STC rollout
              expires: 2099-01-31""",
      tags=("suppression",))
def sup004(doc: Document, ctx: Context) -> Iterator[Problem]:
    """A waiver with an expiry date is a decision with a deadline. Once the date has passed,
    the waiver stops hiding findings (they come back in the report) and this finding, placed
    on the waiver in the configuration file, says so."""
    return _nothing(doc, ctx)
