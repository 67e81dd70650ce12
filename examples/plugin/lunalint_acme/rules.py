"""ACME001: client private keys must live in the site's key directory.

A rule in a plugin is written exactly like a built-in one: metadata in ``@rule(...)``, one check
function over the typed model, problems with exact spans. lunalint loads this module through the
``lunalint.rules`` entry point declared in ``pyproject.toml``.
"""

from __future__ import annotations

from collections.abc import Iterator

from lunalint.findings import Level
from lunalint.model import ClientConfig
from lunalint.rules.base import Context, Problem, rule

KEY_DIRS = ("/etc/acme/luna-keys/", "C:\\ACME\\LunaKeys\\")


@rule("ACME001", "client-key-outside-key-dir", Level.WARNING,
      summary="The client private key file is outside ACME's key directory",
      reference="ACME HSM operations standard, section 4.2 (client key storage)",
      fix="Move the key to /etc/acme/luna-keys/ (Windows: C:\\ACME\\LunaKeys\\) and point "
          "ClientPrivKeyFile at it.",
      bad="""
          LunaSA Client = {
             ClientPrivKeyFile = /tmp/app01Key.pem;
          }""",
      good="""
          LunaSA Client = {
             ClientPrivKeyFile = /etc/acme/luna-keys/app01Key.pem;
          }""",
      tags=("security", "site-policy"), precision="very-high", security_severity=4.0)
def acme001(config: ClientConfig, ctx: Context) -> Iterator[Problem]:
    """ACME keeps client private keys only in a directory that is backed up, access-audited
    and excluded from image snapshots. A key file elsewhere escapes those controls."""
    entry = config.get("LunaSA Client", "ClientPrivKeyFile")
    if entry is None or not entry.value:
        return
    if not entry.value.startswith(KEY_DIRS):
        yield Problem(entry.value_span,
                      f"`ClientPrivKeyFile` is `{entry.value}`; ACME keeps client keys under "
                      f"{KEY_DIRS[0]}", anchor="LunaSA Client/ClientPrivKeyFile")
