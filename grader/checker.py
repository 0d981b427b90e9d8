"""What students install to check their work (``backprop check``, the notebook's self-check
cell), and the one line every handout says it with.

The rules:

- **The instructor decides, and every handout says the same.** The notebook's self-check cells
  (its text and the message of its code when the checker is missing), the TOML, Markdown and PDF
  handouts all show one line, ``pip install <target>`` (:attr:`Checker.install`).
- **By default, the file handed out.** ``backprop generate`` writes this package's wheel once
  into ``OUT/checker/`` (:mod:`grader.wheel`) and the handouts say to install that file, handed
  out with them. A second generate into the same OUT with the same version reuses the file
  there when it installs what this package's wheel installs (the same modules, templates,
  scripts and dependencies: a wheel ``pip wheel`` made is); one that does not (a wheel of
  this version's earlier code, or one with a file added, say a ``.pth`` that Python runs at
  start) is replaced by this package's, with a warning to hand out the new file. Only where no
  wheel can be made here is the file there taken as it is; with none there either, the
  handouts say the same line all the same (a ``.whl`` file name: pip looks for the file, never
  on PyPI), and the instructor gets a warning saying to hand the file out or to choose another
  source with ``--checker``.
- **Or what the instructor names** (``--checker``): a URL of the wheel on the course's site, a
  path, or a requirement such as ``backprop-grader==0.1.0`` (once the instructor knows the
  package of that name is this one). No wheel is written then. It must read the same in a
  shell, in a notebook's ``%pip`` and in every handout, so it is one word of plain characters
  (:func:`parse_spec`).
- **Never an unpublished name.** Nothing says ``pip install backprop-grader`` unless the
  instructor gave it: anyone could publish a package of that name.
- **Kept beside the wheel.** ``OUT/checker/install.txt`` holds the line: late students
  (``--add``) get the same line as their class unless ``--checker`` says otherwise. Grading and
  ``backprop check`` never read it, nor anything the line adds to the handouts.
"""

from __future__ import annotations

import io
import string
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import BackpropError

#: the folder of OUT that holds the wheel handed out and the line
FOLDER = "checker"
LINE_FILE = "install.txt"
#: the characters of a --checker value: those of URLs, paths and pinned requirements that no
#: shell (nor a notebook's %pip) reads as anything but themselves
SAFE = frozenset(string.ascii_letters + string.digits + "._-~:/@%+=,#")
MOST = 300
#: what a --checker value may start with besides a letter or digit (a path: ./, ../, /, ~/)
FIRST = "./~_"
#: why a character is refused, and what to write instead
HINTS = {
    " ": "a space (give one URL, path or requirement; a path without spaces)",
    ">": "'>', which a shell reads as a redirection (pin the version with ==: backprop-grader==0.1.0)",
    "<": "'<', which a shell reads as a redirection (pin the version with ==: backprop-grader==0.1.0)",
    "\\": "a backslash, which a shell reads as an escape (write the path with /)",
    "[": "'[', which some shells read as a pattern (the checker needs no extras)",
    "]": "']', which some shells read as a pattern (the checker needs no extras)",
    "?": "'?', which a shell reads as a pattern (give a URL without a query)",
    "&": "'&', which a shell reads as the end of a command (give a URL without a query)",
}


@dataclass(frozen=True)
class Checker:
    """What the handouts tell students to install: ``target``, what ``pip install`` is given (a
    wheel's file name, a URL, a path or a requirement)."""

    target: str

    @property
    def install(self) -> str:
        """The line every handout shows: ``pip install <target>``."""
        return f"pip install {self.target}"

    @property
    def wheel(self) -> bool:
        """Whether the target is a wheel's bare file name: a file handed out with the handouts
        (the handouts say so, and to ask the instructor for it)."""
        return self.target.endswith(".whl") and not any(c in self.target for c in "/:")


def own_wheel(version: str = __version__) -> Checker:
    """This package's wheel, handed out with the handouts (the default)."""
    from .wheel import wheel_name

    return Checker(wheel_name(version))


def parse_spec(spec: str) -> str:
    """A ``--checker`` value, checked: one word of :data:`SAFE` characters, starting with a letter,
    a digit or one of :data:`FIRST` (``-`` pip would read as an option, ``#`` a shell as a comment,
    ``=`` zsh as a command's path, ``@`` PowerShell as a splat), at most :data:`MOST` long."""
    if not spec.strip():
        raise BackpropError("--checker: is empty; give what students install: the URL of the wheel, a path, "
                            "or a requirement such as backprop-grader==0.1.0")
    bad = next((c for c in spec if c not in SAFE), None)
    if bad is not None:
        what = HINTS.get(bad) or (f"{bad!r}, which a shell or a handout would not show as written"
                                  if bad.isprintable() else f"the control character {bad!r}")
        raise BackpropError(f"--checker: {spec!r} holds {what}; give one URL, path or requirement made of "
                            "letters, digits and . _ - ~ : / @ % + = , #")
    if not (spec[0].isalnum() or spec[0] in FIRST):  # (zsh expands =word, PowerShell @word)
        raise BackpropError(f"--checker: {spec!r} starts with {spec[0]!r}, which pip or a shell would not "
                            "read as what to install; give a URL, a path or a requirement")
    if len(spec) > MOST:
        raise BackpropError(f"--checker: is {len(spec)} characters long; give a URL, a path or a requirement "
                            f"of at most {MOST}")
    return spec


def stored(out: Path) -> Checker | None:
    """The checker the handouts in ``out`` were written with (``checker/install.txt``), or None
    (none there, or not a line this module wrote)."""
    try:
        line = (out / FOLDER / LINE_FILE).read_text(encoding="utf-8").strip()
        prefix, target = line[:len("pip install ")], line[len("pip install "):]
        return Checker(parse_spec(target)) if prefix == "pip install " else None
    except (OSError, UnicodeDecodeError, BackpropError):
        return None


@dataclass(frozen=True)
class Provision:
    """What a generate hands out: the ``checker`` its handouts name, the files to write into OUT
    (path under OUT, content: the line, and the wheel unless it is given elsewhere) and a
    ``warning`` for the instructor (one line) when the wheel the handouts name was not made."""

    checker: Checker
    files: tuple[tuple[str, bytes], ...]
    warning: str | None = None

    @property
    def wheel_file(self) -> str | None:
        """The wheel written, as a path under OUT."""
        return next((rel for rel, _ in self.files if rel.endswith(".whl")), None)


def provide(out: Path, spec: str | None = None, *, add: bool = False) -> Provision:
    """The checker of a generate into ``out`` (see the module): ``spec`` (``--checker``, checked),
    else for ``add`` the one there (:func:`stored`), else this package's wheel: the one in
    ``out/checker`` of this version, else one made now (:func:`grader.wheel.build_wheel`)."""
    chosen = Checker(parse_spec(spec)) if spec is not None else stored(out) if add else None
    if chosen is not None and (spec is not None or not chosen.wheel):
        return Provision(chosen, (_line(chosen),))
    name = chosen.target if chosen is not None else own_wheel().target
    there = out / FOLDER / name
    old = _zip_bytes(there)
    from .wheel import WheelError, build_wheel

    try:
        with tempfile.TemporaryDirectory() as tmp:
            built = build_wheel(Path(tmp))
            data = built.read_bytes()
    except (WheelError, OSError) as exc:
        if old is not None:  # (nothing to hold it to: the file there, as it is)
            return Provision(Checker(name), (_line(Checker(name)), (f"{FOLDER}/{name}", old)))
        return Provision(Checker(name), (_line(Checker(name)),), _not_made(name, str(exc)))
    if chosen is not None and built.name != name:  # (late students: the class's wheel is another version's)
        if old is not None:
            return Provision(chosen, (_line(chosen), (f"{FOLDER}/{name}", old)))
        return Provision(chosen, (_line(chosen),),
                         _not_made(name, f"{there} is missing, and this is version {__version__}"))
    files = (_line(Checker(built.name)), (f"{FOLDER}/{built.name}", data))
    if old is None or old == data:
        return Provision(Checker(built.name), files)
    differ = _differences(old, data)
    if not differ:  # the same package, zipped another way (pip wheel): the file handed out stays
        return Provision(Checker(built.name), (files[0], (f"{FOLDER}/{built.name}", old)))
    return Provision(Checker(built.name), files,
                     f"Warning: {there} was not this package's wheel (it differs in {differ}); it is "
                     "replaced by this package's: hand the new file out (students who installed the old one "
                     "check with other code than grade's)")


def _zip_bytes(path: Path) -> bytes | None:
    """The bytes of the zip at ``path`` (a file, not a link), or None."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data if zipfile.is_zipfile(io.BytesIO(data)) else None


def _differences(old: bytes, new: bytes) -> str:
    """What the wheel ``old`` holds that the wheel ``new`` does not, as installed: its files
    outside the ``.dist-info`` (every module, template, ``.pth`` or ``.data`` file), its console
    scripts and its dependencies; ``""`` when the two install the same (RECORD, the generator,
    the dates and the compression aside). Shown short: the first few names."""
    try:
        a, b = _installed(old), _installed(new)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, UnicodeDecodeError):
        return "being a wheel at all (it does not unzip)"
    names = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return shown


def _installed(wheel: bytes) -> dict[str, bytes]:
    """What installing ``wheel`` puts in place, as {name: content}: its files outside the
    ``.dist-info``, its ``entry_points.txt`` and its METADATA's ``Requires-Dist`` lines."""
    found: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        for entry in z.infolist():
            if entry.is_dir():
                continue
            top, _, rest = entry.filename.partition("/")
            if not top.endswith(".dist-info"):
                found[entry.filename] = z.read(entry)
            elif rest == "entry_points.txt":
                found["entry_points.txt"] = z.read(entry).strip()
            elif rest == "METADATA":
                head = z.read(entry).decode("utf-8").split("\n\n", 1)[0]
                found["METADATA (Requires-Dist)"] = "\n".join(sorted(
                    line for line in head.splitlines() if line.startswith("Requires-Dist:"))).encode()
    return found


def _line(checker: Checker) -> tuple[str, bytes]:
    return f"{FOLDER}/{LINE_FILE}", f"{checker.install}\n".encode()


def _not_made(name: str, why: str) -> str:
    return (f"Warning: the checker's wheel was not made ({why}); the handouts tell students to "
            f"pip install {name}, a file for you to hand out (pip wheel --no-deps -w dist . in a checkout "
            "of backprop-grader makes it), or generate again with --checker URL, PATH or REQUIREMENT")


__all__ = ["Checker", "Provision", "own_wheel", "parse_spec", "provide", "stored"]
