"""Regular expressions compiled on first use (issue 21, cold start).

Compiling a pattern costs 50-1,000 µs, and most of the module-level patterns serve files a
given run never meets (captures, scripts, templates, command lines): a run over one
configuration compiled about fifty and used twenty. :func:`lazy` stands for
``re.compile(pattern, flags)`` and compiles on the first call of any of its methods.

After that first call the compiled pattern's own bound methods sit in the object's
``__dict__`` and are found there before the class's stand-ins, so a pattern in a hot loop
costs what the compiled one does. Anything else a compiled pattern has (``pattern``,
``groupindex``…) is read through to it. Pickling gives the compiled pattern.
"""

from __future__ import annotations

import re

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """``re.compile(pattern, flags)`` made on first use (see the module docstring)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)

    def compiled(self) -> re.Pattern:
        """The compiled pattern (compiled now if it was not yet)."""
        done = self.__dict__.get("_compiled")
        if done is None:
            done = re.compile(*self._args)
            self.__dict__.update({name: getattr(done, name) for name in _METHODS},
                                 _compiled=done)
        return done

    # Stand-ins until the first call; then the compiled pattern's own methods shadow them.
    def match(self, *args, **kwargs):
        return self.compiled().match(*args, **kwargs)

    def fullmatch(self, *args, **kwargs):
        return self.compiled().fullmatch(*args, **kwargs)

    def search(self, *args, **kwargs):
        return self.compiled().search(*args, **kwargs)

    def finditer(self, *args, **kwargs):
        return self.compiled().finditer(*args, **kwargs)

    def findall(self, *args, **kwargs):
        return self.compiled().findall(*args, **kwargs)

    def sub(self, *args, **kwargs):
        return self.compiled().sub(*args, **kwargs)

    def subn(self, *args, **kwargs):
        return self.compiled().subn(*args, **kwargs)

    def split(self, *args, **kwargs):
        return self.compiled().split(*args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # (``_args`` before __init__, dunder look-ups)
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __reduce__(self):
        return (re.compile, self._args)

    def __repr__(self) -> str:
        return f"lazy({self._args[0]!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)``, compiled on first use."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
