"""Load lark grammars from ``lunalint.grammar``, with a parser cache in the user cache dir.

Building LALR tables costs far more than a typical file takes to lint, so the built parser is
pickled once per (lark version, grammar text) into ``$XDG_CACHE_HOME/lunalint`` (or
``~/.cache/lunalint``; ``LUNALINT_CACHE_DIR`` overrides, ``LUNALINT_NO_CACHE=1`` disables).
Writes go to a private temporary file that is then renamed over the target, so concurrent
runs never read a half-written cache; an unreadable cache is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    if os.environ.get("LUNALINT_NO_CACHE"):
        return None
    explicit = os.environ.get("LUNALINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lunalint"


def grammar_text(name: str) -> str:
    return resources.files("lunalint.grammar").joinpath(name).read_text(encoding="utf-8")


@cache
def load(name: str, start: str = "start", transformer: Any = None) -> Any:
    """The LALR parser for grammar file ``name``; ``transformer`` runs inline (no tree)."""
    import lark

    text = grammar_text(name)
    options = dict(parser="lalr", lexer="contextual", start=start, maybe_placeholders=False)
    folder = cache_dir()
    if folder is None:
        return lark.Lark(text, transformer=transformer, **options)
    digest = hashlib.sha256(f"{lark.__version__}\0{start}\0{text}".encode()).hexdigest()[:24]
    target = folder / f"{Path(name).stem}-{digest}.lark.pickle"
    try:
        with open(target, "rb") as handle:
            return _load(lark, handle, transformer)
    except Exception:  # missing, truncated or from another lark: rebuild
        pass
    parser = lark.Lark(text, **options)
    buffer = io.BytesIO()
    parser.save(buffer)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(buffer.getvalue())
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only home must not stop linting
    if transformer is None:
        return parser
    buffer.seek(0)
    return _load(lark, buffer, transformer)


def _load(lark: Any, handle: Any, transformer: Any) -> Any:
    # Lark.load() takes no options; Lark._load() accepts the load-time ones (transformer).
    instance = lark.Lark.__new__(lark.Lark)
    return instance._load(handle, transformer=transformer)
