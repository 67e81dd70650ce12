"""Plain ``__slots__`` record classes, cheap to define and cheap to build (issue 21).

A frozen slotted dataclass costs about 1 ms to create at import (``dataclasses`` inspects
every annotation and imports ``inspect``) and about 0.9 µs per object to construct (each field
is set through ``object.__setattr__``). The model and finding types are built hundreds of
thousands of times per run, and about fifty of them are defined on the one-file path, so they
are :func:`record` classes instead: the same constructor (positional and keyword arguments,
defaults, ``opt(factory=..., init=False)`` for per-object indexes), the same equality, hash and
ordering over the compared fields, the same ``repr``, pickling by constructor arguments, and a
lazily built ``__dataclass_fields__`` (of the constructor's fields) so
``dataclasses.replace``/``fields``/``asdict`` keep working on them for code that uses those. Attributes are not write-protected: treat the
objects as immutable (use :func:`replace`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["record", "opt", "replace", "MISSING"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Opt:
    """Options of one field (what ``dataclasses.field`` says for a dataclass)."""

    __slots__ = ("default", "factory", "init", "compare", "repr")

    def __init__(self, default=MISSING, factory=None, init=True, compare=True, repr=True):
        self.default, self.factory, self.init = default, factory, init
        self.compare, self.repr = compare, repr


def opt(default: Any = MISSING, *, factory=None, init: bool = True, compare: bool = True,
        repr: bool = True) -> Any:
    return Opt(default, factory, init, compare, repr)


class _DataclassFields:
    """``__dataclass_fields__`` built on first use (``dataclasses`` is imported only then)."""

    def __get__(self, obj, owner):
        cached = owner.__dict__.get("_record_dc_fields")
        if cached is not None:
            return cached
        import dataclasses

        out = {}
        for name, o in owner.__record_fields__:
            if not o.init:  # private per-object caches: not part of what a copy takes
                continue
            f = dataclasses.field(
                default=dataclasses.MISSING if o.default is MISSING else o.default,
                default_factory=dataclasses.MISSING if o.factory is None else o.factory,
                init=o.init, repr=o.repr, compare=o.compare)
            f.name = name
            f._field_type = dataclasses._FIELD  # what dataclasses.replace/fields look for
            out[name] = f
        type.__setattr__(owner, "_record_dc_fields", out)
        return out


def _build(cls, order: bool, eq: bool, frozen: bool):
    own: list[tuple[str, Opt]] = []
    body = dict(cls.__dict__)
    for name, annotation in body.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = body.pop(name, MISSING)
        own.append((name, value if isinstance(value, Opt) else Opt(value)))
    inherited: list[tuple[str, Opt]] = []
    for base in reversed(cls.__mro__[1:]):
        for name, o in base.__dict__.get("__record_fields__", ()):
            inherited = [(n, x) for n, x in inherited if n != name] + [(name, o)]
    names_own = [n for n, _ in own]
    fields = [(n, o) for n, o in inherited if n not in names_own] + own
    extra = body.pop("__slots__", ())
    if isinstance(extra, str):
        extra = (extra,)
    for name in extra:  # the member descriptors the decorated class made for them
        body.pop(name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body["__slots__"] = tuple(names_own) + tuple(extra)
    body["__record_fields__"] = tuple(fields)
    body["__match_args__"] = tuple(n for n, o in fields if o.init)
    body["__dataclass_fields__"] = _DataclassFields()

    env: dict[str, Any] = {"_MISSING": MISSING}
    params, kw, lines = [], False, []
    for name, o in fields:
        if not o.init:
            if o.factory is not None:
                env[f"_f_{name}"] = o.factory
                lines.append(f"  self.{name} = _f_{name}()")
            elif o.default is not MISSING:
                env[f"_d_{name}"] = o.default
                lines.append(f"  self.{name} = _d_{name}")
            continue
        if o.factory is not None:
            env[f"_f_{name}"] = o.factory
            params.append(f"{name}=_MISSING")
            lines.append(f"  self.{name} = _f_{name}() if {name} is _MISSING else {name}")
            kw = True
        elif o.default is not MISSING:
            env[f"_d_{name}"] = o.default
            params.append(f"{name}=_d_{name}")
            lines.append(f"  self.{name} = {name}")
            kw = True
        else:
            if kw:
                raise TypeError(f"{cls.__name__}: field {name} without a default follows one "
                                "with a default")
            params.append(name)
            lines.append(f"  self.{name} = {name}")
    if "__post_init__" in body or any(hasattr(b, "__post_init__") for b in cls.__mro__[1:]):
        lines.append("  self.__post_init__()")
    srcs: dict[str, list[str]] = {
        "__init__": [f"def __init__(self, {', '.join(params)}):", *(lines or ["  pass"])]}
    compared = [n for n, o in fields if o.compare]
    mine = "(" + "".join(f"self.{n}," for n in compared) + ")"
    theirs = "(" + "".join(f"other.{n}," for n in compared) + ")"
    if eq:
        srcs["__eq__"] = ["def __eq__(self, other):",
                          "  if other.__class__ is self.__class__:",
                          f"    return {mine} == {theirs}",
                          "  return NotImplemented"]
        if frozen:
            srcs["__hash__"] = ["def __hash__(self):", f"  return hash({mine})"]
    if order:
        for op, sym in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")):
            srcs[f"__{op}__"] = [f"def __{op}__(self, other):",
                                 "  if other.__class__ is self.__class__:",
                                 f"    return {mine} {sym} {theirs}",
                                 "  return NotImplemented"]
    shown = ", ".join(f"{n}={{self.{n}!r}}" for n, o in fields if o.repr)
    srcs["__repr__"] = ["def __repr__(self):",
                        f"  return f'{{self.__class__.__qualname__}}({shown})'"]
    args = "(" + "".join(f"self.{n}," for n, o in fields if o.init) + ")"
    srcs["__reduce__"] = ["def __reduce__(self):", f"  return (self.__class__, {args})"]
    # Each method is compiled on its own first call, not at import: most record classes of a
    # run are never built, and most of those built are never compared, hashed, printed or
    # pickled (compiling all of a class's methods at once cost about 0.25 ms a class, 7 ms of
    # a one-file run's 30 classes; its __init__ alone is about a third of that).
    holder: list = []
    for name, src in srcs.items():
        if name not in body:
            body[name] = _placeholder(name, holder, src, env)
    if eq and not frozen and "__hash__" not in cls.__dict__:
        body["__hash__"] = None
    new = type(cls)(cls.__name__, cls.__bases__, body)
    new.__qualname__ = cls.__qualname__
    holder.append(new)
    return new


def _placeholder(name: str, holder: list, src: list[str], env: dict):
    """A stand-in for method ``name`` that compiles it from ``src``, puts it on the class in
    place of the stand-in, and calls it."""
    def method(self, *args, **kwargs):
        cls = holder[0]
        if cls.__dict__.get(name) is method:  # not compiled yet
            exec("\n".join(src), env)  # noqa: S102 - our own source, names from annotations
            fn = env[name]
            fn.__qualname__ = f"{cls.__qualname__}.{name}"
            type.__setattr__(cls, name, fn)
        return cls.__dict__[name](self, *args, **kwargs)

    method.__name__ = name
    return method


def record(cls=None, *, order: bool = False, eq: bool = True, frozen: bool = True):
    """Make ``cls`` a slotted record of its annotated fields (see the module docstring).
    ``frozen`` (the default) makes it hashable by its compared fields, as a frozen dataclass;
    ``frozen=False`` leaves it unhashable, as a plain dataclass with ``eq``."""
    def wrap(c):
        return _build(c, order, eq, frozen)
    return wrap if cls is None else wrap(cls)


def replace(obj, **changes):
    """A copy of record (or dataclass) ``obj`` with ``changes``, like ``dataclasses.replace``."""
    spec = getattr(type(obj), "__record_fields__", None)
    if spec is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for name, o in spec:
        if not o.init:
            if name in changes:
                raise ValueError(f"field {name} cannot be replaced (init=False)")
            continue
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


class cached:
    """``functools.cached_property`` for a record (which has no ``__dict__``): the value is
    kept in the record's ``_cache`` dict, declared as
    ``_cache: dict = opt(factory=dict, init=False, repr=False, compare=False)``."""

    def __init__(self, fn):
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        store = obj._cache
        try:
            return store[self.name]
        except KeyError:
            value = store[self.name] = self.fn(obj)
            return value
