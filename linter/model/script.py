"""What a provisioning script does with Luna tools, beyond the session it runs.

A script (shell, Dockerfile, Ansible task, template of a script, Makefile, Markdown shell
fence) that runs LunaCM, `vtl`, LunaSH over `ssh` or `configurator` is read into a session
(:class:`lunalint.model.export.Export` without output, its ``script`` set to a
:class:`Script`) and a partial configuration. :class:`Script` keeps what the session cannot
say: the host's kind, the literal credentials on its command lines, and the HA groups it
creates.
"""

from __future__ import annotations

from dataclasses import dataclass

from lunalint.model.base import Span


@dataclass(frozen=True, slots=True)
class Credential:
    """A literal credential typed on a Luna command line (`-password s3cret`).

    ``value`` is the literal itself: only the redaction boundary reads it (to mask it in every
    output); a rule never prints it."""

    option: str  # `-password`, `-newpw`, `sshpass -p` ...
    tool: str  # lunacm | lunash | vtl | sshpass | plink
    command: str  # the Luna command it is given to (`hagroup addmember`), or the tool
    span: Span  # the value's word on the host's line
    value: str


@dataclass(frozen=True, slots=True)
class GroupCreation:
    """`hagroup createGroup` / `vtl haAdmin -newGroup`: an HA group the script creates."""

    label: str | None
    span: Span  # the command


@dataclass(frozen=True, slots=True)
class Script:
    host: str  # "shell" | "yaml" | "markdown" | "template" | "makefile" | "dockerfile"
    credentials: tuple[Credential, ...] = ()
    creates: tuple[GroupCreation, ...] = ()
    ha_only: tuple[Span, ...] = ()  # commands that enable HA-only
    stc: bool = False  # the script sets up Secure Trusted Channel

    @property
    def documentation(self) -> bool:
        """True for a runbook (Markdown): its command lines are shown, not run."""
        return self.host == "markdown"
