"""Cached renders: a template laid out once per shape of its context, then filled in per render.

A skeleton is a template rendered once with a symbolic context: the values it only prints
are _Slot objects that print as a placeholder, so the output is cut at the placeholders into
fixed text and the positions of the values; a render of the same shape is then the fixed
text with the real values put in. The shape (the cache key) is everything the template
decides on: the values it compares or loops over are real in the symbolic context and part
of the key, and a slot whose truth the template tests (``{% if x %}``, ``x or "-"``) knows
that truth, which is part of the key too. Anything else done to a slot (comparing it, its
length, a number filter, ``|e``) refuses it, and then that shape is always rendered in full;
so it is when a placeholder does not come out of the template as it went in (a filter like
upper changed it), or when the skeleton does not give back the full render of the values
it was made with. A string filter that leaves a placeholder alone but not a real value
(``|trim``) would go unnoticed: the tests compare the cached renders with full ones.
A shape is rendered in full the first _SIGHTINGS times it is seen and made a skeleton the
next time, so that a report of a rare shape costs about a full render.

:mod:`grader.render.feedback` renders each student's Markdown feedback this way
(:func:`render_shape`, with the shape and the symbolic context it makes), the batch the text
around it (:func:`cached_render`).
"""

from __future__ import annotations

import operator
import re
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .env import environment

__all__ = ["Book", "cached_render", "clear_cache", "render_shape"]

_TOKEN = re.compile("\x00sLot(\\d+)\x00")


class Book:
    """The slots of one symbolic render: ``refused`` when the template did more than print
    (some filters swallow the TypeError of a refusal), and the attributes of the lazy objects
    that it asked for, numbered after the eager values."""

    def __init__(self, eager: int) -> None:
        self.eager = eager
        self.refused = False
        self.wanted: list[tuple[int, str]] = []

    def slot(self, k: int, truth: bool | None = None) -> _Slot:
        return _Slot(self, k, truth)

    def lazy(self, j: int, real: dict[str, Any], truths: dict[str, bool]) -> _Lazy:
        return _Lazy(self, j, real, truths)


class _Slot:
    """A value the template prints (and tests for truth when that is part of the key)."""

    __slots__ = ("book", "token", "truth")

    def __init__(self, book: Book, k: int, truth: bool | None) -> None:
        self.book, self.token, self.truth = book, f"\x00sLot{k}\x00", truth

    def __str__(self) -> str:
        return self.token

    def __bool__(self) -> bool:
        if self.truth is None:
            self._refuse()
        return bool(self.truth)

    def _refuse(self, *args: object) -> Any:
        self.book.refused = True
        raise TypeError("a cached template only prints this value")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __len__ = __iter__ = __contains__ = _refuse  # type: ignore[assignment]
    __getitem__ = __getattr__ = __float__ = __int__ = __index__ = __format__ = __repr__ = __html__ = _refuse  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]


class _Lazy:
    """The symbolic form of the ``j``-th lazy object: its ``real`` attributes as they are,
    the others slots filled with ``str(getattr(object, name))`` only when printed."""

    def __init__(self, book: Book, j: int, real: dict[str, Any], truths: dict[str, bool]) -> None:
        self._book, self._j, self._truths, self._slots = book, j, truths, {}
        self.__dict__.update(real)

    def __getattr__(self, name: str) -> _Slot:
        if name.startswith("__"):
            raise AttributeError(name)
        slot = self._slots.get(name)
        if slot is None:
            book = self._book
            slot = self._slots[name] = _Slot(book, book.eager + len(book.wanted), self._truths.get(name))
            book.wanted.append((self._j, name))
        return slot


class _Skeleton:
    """``parts`` is text, None, text, ..., text; ``pick`` gives the values for the Nones."""

    __slots__ = ("parts", "pick", "wanted")

    def __init__(self, parts: list[str | None], order: list[int], wanted: list[tuple[int, str]]) -> None:
        self.parts, self.wanted = parts, wanted
        if not order:
            self.pick: Callable[[list[str]], Sequence[str]] = lambda values: ()
        elif len(order) == 1:
            k = order[0]
            self.pick = lambda values: (values[k],)
        else:
            self.pick = operator.itemgetter(*order)

    def fill(self, values: list[Any], objects: Sequence[Any]) -> str | None:
        """The text with ``values`` (and the lazy ones from ``objects``) in it, or None when a
        value printed is not a str (the template would print ``str()`` of it)."""
        if self.wanted:
            values = values + [str(getattr(objects[j], name)) for j, name in self.wanted]
        out = self.parts.copy()
        out[1::2] = self.pick(values)
        try:
            return "".join(out)  # type: ignore[arg-type]
        except TypeError:
            return None


def _make_skeleton(
    template: Any, eager: int, symbolic: Callable[[Book], dict[str, Any]]
) -> _Skeleton | None:
    book = Book(eager)
    try:
        text = template.render(symbolic(book))
    except Exception:  # the template did more with a value than print it
        return None
    cut = _TOKEN.split(text)  # text, slot, text, slot, ..., text
    order = [int(k) for k in cut[1::2]]
    if (book.refused or any("\x00" in part for part in cut[::2])
            or any(k >= eager + len(book.wanted) for k in order)):
        return None
    parts: list[str | None] = list(cut)
    parts[1::2] = [None] * len(order)
    return _Skeleton(parts, order, book.wanted)


#: skeletons by (environment, template name, key); the number of full renders of the shape
#: before it has one (the skeleton is made after _SIGHTINGS); None where there is none
_SKELETONS: dict[tuple, Any] = {}
_SIGHTINGS = 2
_LOCK = threading.Lock()
_CACHE_SIZE = 1 << 12


def render_shape(name: str, key: Hashable, values: Callable[[], list[str]], objects: Sequence[Any],
                   symbolic: Callable[[Book], dict[str, Any]], context: Callable[[], dict[str, Any]]) -> str:
    """``render(name, **context)``, from the skeleton of its shape ``key`` when there is one.
    ``values()`` are the texts the template may print (``str`` of the context's values), slots
    0, 1, ... of the context ``symbolic`` makes; ``objects`` are those it gives lazily;
    ``context()`` is the real context."""
    full = (environment(), name, key)  # a template is compiled once per environment
    skeleton = _SKELETONS.get(full)
    if skeleton.__class__ is _Skeleton and (text := skeleton.fill(values(), objects)) is not None:
        return text
    template = full[0].get_template(name)
    text = template.render(context())
    if skeleton.__class__ is not int:
        if skeleton is not None or full in _SKELETONS:
            return text  # a value not a str, or a shape without a skeleton
        made: Any = 1
    elif skeleton < _SIGHTINGS:
        made = skeleton + 1
    else:  # seen often enough: made a skeleton, kept when it gives back the full render
        texts = values()
        made = _make_skeleton(template, len(texts), symbolic)
        if made is not None and (check := made.fill(texts, objects)) != text:
            made = skeleton if check is None else None
    with _LOCK:
        if len(_SKELETONS) >= _CACHE_SIZE:
            _SKELETONS.clear()
        _SKELETONS[full] = made
    return text


def cached_render(name: str, fixed: dict[str, Hashable], printed: dict[str, Any]) -> str:
    """``render(name, **fixed, **printed)`` for a template that only prints the ``printed``
    values (any other use renders it in full): one skeleton per value of ``fixed``."""
    def symbolic(book: Book) -> dict[str, Any]:
        return {**fixed, **{n: book.slot(k) for k, n in enumerate(printed)}}

    return render_shape(name, (*fixed.items(), *printed), lambda: list(map(str, printed.values())), (),
                          symbolic, lambda: {**fixed, **printed})


def clear_cache() -> None:
    """Forget every skeleton."""
    with _LOCK:
        _SKELETONS.clear()
