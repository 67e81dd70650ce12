"""Readers: bytes on disk → decoded text → a typed model document. They know nothing of rules."""
