"""SEC: secrets committed with the scripts that set up Luna clients and HSMs."""

from __future__ import annotations

from collections.abc import Iterator
TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)

from lunalint.findings import Level
from lunalint.rules import sources
from lunalint.rules.base import Context, Problem, rule

if TYPE_CHECKING:  # the capture model is imported only when a capture or script is read
    from lunalint.model.export import Export


@rule("SEC601", "literal-credential", Level.ERROR, scope="export",
      summary="A literal password, challenge or cloning domain is committed on a Luna command "
              "line",
      reference="LunaCM accepts passwords, challenges and cloning domains as command-line "
                "options (`-password`, `-newpw`, `-oldpw`, `-challenge`, `-domain`; `hagroup "
                "addmember` and `hagroup creategroup` take `-password` or `-p`), and prompts "
                "for them when they are left out. A value written in a script, a Dockerfile, an "
                "Ansible task or a template is kept in the repository, its history and every "
                "copy of it; the same holds for `sshpass -p` and `plink -pw` towards an "
                "appliance's LunaSH.",
      cites=(sources.LUNACM_FEATURES, sources.HAGROUP_ADDMEMBER),
      fix="Take the value from a variable filled from a secret store at run time "
          "(`-password \"$HA_PASSWORD\"`), or leave the option out so that LunaCM prompts; use "
          "SSH keys instead of `sshpass`/`plink -pw`. Then change the exposed credential.",
      bad="""
          lunacm -c "hagroup addMember -group payments -serialNumber 1238696044 -password s3cr3t"
          """,
      good="""
          lunacm -c "hagroup addMember -group payments -serialNumber 1238696044 -password $HA_PW"
          """,
      tags=("security", "secrets", "scripts"), security_severity=8.0)
def sec601(export: Export, ctx: Context) -> Iterator[Problem]:
    """A credential typed on a command line of a provisioning script is a secret committed to
    the repository. Not reported: a variable (`$PW`, `${PW}`, `$(cat file)`), a template
    placeholder (`{{ .Values.pw }}`, `<%= @pw %>`), an empty value, or a documentation
    stand-in such as `<password>`. `-p` is read as a password only for the commands where it
    is the short form of `-password` (`hagroup addmember`, `hagroup creategroup`, `role login`,
    `partition login`, `hsm login`, `vtl haAdmin`). In a Markdown runbook the command is shown,
    not run: the finding is a note. The value is never printed: in every output format it is
    masked."""
    script = export.script
    if script is None:
        return
    level = Level.NOTE if script.documentation else None
    for c in script.credentials:
        where = f"on a `{c.command}` command line" if c.tool in ("lunacm", "lunash", "vtl") \
            else "towards an appliance"
        yield Problem(c.span, (
            f"a literal credential is given to `{c.option}` {where}: it is committed with "
            "this file; take it from a variable filled from a secret store, or let the tool "
            "prompt for it, and change it"), anchor=f"credential:{c.command}/{c.option}",
            level=level)
