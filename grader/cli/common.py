"""What the command modules share: the one-line CLI error, the sandbox check, writing output."""

from __future__ import annotations

import os
import sys

import click

from ..notebooks.sandbox import MODES


class InputError(click.ClickException):
    """Unreadable input or bad usage: ``Error: <message>``, exit status 2 (the command group
    turns every :class:`~grader.errors.BackpropError` into one)."""

    exit_code = 2


SANDBOXES = MODES  # --sandbox: see grader/notebooks/sandbox.py


def require_sandbox(execute: bool, sandbox: str, here: bool = True) -> None:
    """With --execute, refuse (exit 2, one line) when the sandbox cannot run here; warn for none.
    ``here`` False: the notebooks run elsewhere (a Dask cluster's workers check it themselves)."""
    if not execute:
        if sandbox != "bwrap":
            raise InputError("--sandbox applies only with --execute")
        return
    from ..notebooks.sandbox import require

    if here:
        require(sandbox)
    if sandbox == "none":
        click.echo("Warning: --sandbox none: notebooks run as plain processes with in-process limits only; "
                   "they are not isolated from this machine (see the README)", err=True)


def write_output(text: str | bytes, output: str | None) -> None:
    """Write to ``output`` (atomically) or to stdout, as UTF-8 (see :func:`grader.files.utf8`)."""
    from ..files import utf8, write_atomic

    if output is None or output == "-":
        if isinstance(text, str):
            text = utf8(text if text.endswith("\n") else text + "\n")
        write_stdout(text)
        return

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise InputError(f"{output}: cannot be written ({exc.strerror or exc})") from None


def write_stdout(data: bytes) -> None:
    """Write ``data`` to standard output; a full disk is ``Error: ...``. A pipe whose reader is
    gone (``backprop grade ... | head``) ends the command quietly with status 1, as click does
    (the reader closed it on purpose: nothing to report)."""
    stream = sys.stdout.buffer
    try:
        sys.stdout.flush()  # (text written before, through the text layer, comes first)
        stream.write(data)
        stream.flush()
    except OSError as exc:
        # what could not be written stays in the buffer: send it nowhere, or Python's own
        # flush at exit fails again, with a traceback
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
        if isinstance(exc, BrokenPipeError):
            raise  # (click's main exits with status 1, without a word)
        raise InputError(f"standard output: cannot be written ({exc.strerror or exc})") from None


def echo(text: str) -> None:
    """``click.echo`` for text that may hold characters UTF-8 cannot (see write_output)."""
    write_output(text, None)
