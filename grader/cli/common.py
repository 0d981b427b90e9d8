"""What the command modules share: turning core errors into one-line CLI errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from ..errors import BackpropError
from ..notebooks.sandbox import MODES


class InputError(click.ClickException):
    """Unreadable input or bad usage: ``Error: <message>``, exit status 2."""

    exit_code = 2


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Report a BackpropError as ``Error: ...`` with exit status 2, never as a traceback."""
    try:
        yield
    except BackpropError as exc:
        raise InputError(exc.message) from None


SANDBOXES = MODES  # --sandbox: see grader/notebooks/sandbox.py


def require_sandbox(execute: bool, sandbox: str) -> None:
    """With --execute, refuse (exit 2, one line) when the sandbox cannot run here; warn for none."""
    if not execute:
        if sandbox != "bwrap":
            raise InputError("--sandbox applies only with --execute")
        return
    from ..notebooks.sandbox import require

    require(sandbox)
    if sandbox == "none":
        click.echo("Warning: --sandbox none: notebooks run as plain processes with in-process limits only; "
                   "they are not isolated from this machine (see the README)", err=True)


def write_output(text: str | bytes, output: str | None) -> None:
    """Write to ``output`` (atomically) or to stdout."""
    if output is None or output == "-":
        if isinstance(text, bytes):
            click.get_binary_stream("stdout").write(text)
        else:
            click.echo(text, nl=not text.endswith("\n"))
        return
    from ..files import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise InputError(f"{output}: cannot be written ({exc.strerror or exc})") from None
