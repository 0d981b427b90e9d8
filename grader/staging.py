"""Writing a folder's files all at once or not at all: a hidden stage folder beside OUT,
renamed into place when complete (what ``backprop generate`` writes, :mod:`grader.publish`).

The stage is made in OUT's parent, on the same file system, so that renames move it (inside
OUT when OUT is a mount point). A new OUT appears in one rename. Into an existing OUT, the
stage's ``own`` entries replace OUT's, in order: the old ones move out to a trash folder in
their order (the key first), then the new ones move in in reverse order (the key last), and the
trash is removed; if a move fails, the moves made are undone. Nothing else in OUT is touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

from .files import write_all


class Stage:
    """A hidden folder that becomes OUT, or whose ``own`` entries replace OUT's (see the
    module docstring); files under the ``private`` entries are written 0600, folders 0700."""

    def __init__(self, out: str | os.PathLike[str], own: Sequence[str], private: Sequence[str]) -> None:
        self.out = Path(os.path.abspath(out))
        self.own = tuple(own)
        self.private = tuple(private)
        parent = self.out.parent
        parent.mkdir(parents=True, exist_ok=True)
        inside = self.out.is_dir() and _device(self.out) != _device(parent)
        base = self.out if inside else parent  # renames stay on one file system
        self.tag = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.root: Path | None = base / f".{self.out.name}.generate-{self.tag}"
        os.mkdir(self.root)  # the umask's mode: a new OUT's
        self.folders: set[Path] = set()

    def write(self, rel: str, content: str | bytes) -> None:
        assert self.root is not None
        path = self.root / rel
        if path.parent not in self.folders:
            self._folder(path.parent)
        private = rel.split("/")[0] in self.private
        data = content.encode("utf-8") if isinstance(content, str) else content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600 if private else 0o666)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    def _folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        assert self.root is not None
        top = folder.relative_to(self.root).parts[:1]
        if top and top[0] in self.private:
            os.chmod(self.root / top[0], 0o700)
        self.folders.add(folder)

    def keep(self, out: Path, skip: set[str]) -> None:
        """OUT's own folders, as they are (hard links; copies where a file system has none), but
        the files ``skip`` names (paths under OUT); the private ones' files made private."""
        assert self.root is not None
        for name in self.own:
            if not (out / name).is_dir():
                continue
            for folder, _dirs, files in os.walk(out / name):
                rel_folder = Path(folder).relative_to(out)
                self._folder(self.root / rel_folder)
                for f in files:
                    rel = (rel_folder / f).as_posix()
                    if rel in skip:
                        continue
                    _link_or_copy(Path(folder) / f, self.root / rel)
                    if name in self.private:
                        os.chmod(self.root / rel, 0o600)

    def publish(self) -> None:
        """Move the stage into place (see the module docstring); on a failure, what was moved
        goes back."""
        assert self.root is not None
        out, root = self.out, self.root
        if not os.path.lexists(out):
            os.rename(root, out)
            self.root = None
            return
        trash = root.parent / f".{out.name}.previous-{self.tag}"
        os.mkdir(trash, 0o700)
        moved: list[tuple[Path, Path]] = []
        try:
            for name in self.own:  # the key first out
                if os.path.lexists(out / name):
                    os.rename(out / name, trash / name)
                    moved.append((out / name, trash / name))
            for name in reversed(self.own):  # the key last in
                if os.path.lexists(root / name):
                    os.rename(root / name, out / name)
                    moved.append((root / name, out / name))
        except BaseException:  # (an interrupt too)
            for src, dst in reversed(moved):
                try:
                    os.rename(dst, src)
                except OSError:
                    pass  # (then the old files stay in the trash folder, not deleted)
            try:
                os.rmdir(trash)
            except OSError:
                pass
            raise
        shutil.rmtree(trash, ignore_errors=True)

    def discard(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def _device(path: Path) -> int:
    """The file system ``path`` is on (renames work within one)."""
    return os.stat(path).st_dev


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
