"""The typed, immutable model that readers build and rules read.

Readers (``lunalint.readers``) turn text into these objects; rules never see lark trees.
"""

from lunalint.model.base import Document, Span, SyntaxProblem
from lunalint.model.config import ClientConfig, Entry, Section

_EXPORT_NAMES = frozenset({"Banner", "Command", "CommandResult", "Export", "Field",
                           "HaGroupStatus", "HaMember", "HsmInfo", "HsmPolicies", "HsmPolicy",
                           "Partition", "PolicySet", "PolicyValue", "SerialRef", "Slot"})


def __getattr__(name: str):
    """The capture model is imported on first use: a run over configurations never needs it."""
    if name in _EXPORT_NAMES:
        from lunalint.model import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Banner", "ClientConfig", "Command", "CommandResult", "Document", "Entry", "Export",
           "Field", "HaGroupStatus", "HaMember", "HsmInfo", "HsmPolicies", "HsmPolicy",
           "Partition", "PolicySet", "PolicyValue", "Section", "SerialRef", "Slot", "Span",
           "SyntaxProblem"]
