"""The typed, immutable model that readers build and rules read.

Readers (``lunalint.readers``) turn text into these objects; rules never see lark trees.
"""

from lunalint.model.base import Document, Span, SyntaxProblem
from lunalint.model.config import ClientConfig, Entry, Section
from lunalint.model.export import (Banner, Command, CommandResult, Export, Field, HaGroupStatus,
                                   HaMember, HsmInfo, HsmPolicies, HsmPolicy, Partition,
                                   PolicySet, PolicyValue, SerialRef, Slot)

__all__ = ["Banner", "ClientConfig", "Command", "CommandResult", "Document", "Entry", "Export",
           "Field", "HaGroupStatus", "HaMember", "HsmInfo", "HsmPolicies", "HsmPolicy",
           "Partition", "PolicySet", "PolicyValue", "Section", "SerialRef", "Slot", "Span",
           "SyntaxProblem"]
