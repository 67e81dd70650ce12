"""The typed, immutable model that readers build and rules read.

Readers (``lunalint.readers``) turn text into these objects; rules never see lark trees.
"""

from lunalint.model.base import Document, Span, SyntaxProblem
from lunalint.model.config import ClientConfig, Entry, Section

__all__ = ["ClientConfig", "Document", "Entry", "Section", "Span", "SyntaxProblem"]
