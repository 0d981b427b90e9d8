"""What the command modules share: turning core errors into one-line CLI errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from ..errors import BackpropError


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
