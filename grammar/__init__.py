"""Lark grammars for lunalint's inputs (data files; loaded by ``lunalint.grammars``)."""
