"""The ``backprop`` command: thin click commands over the core, one module per verb.

Errors are translated here, once for every command: a :class:`~grader.errors.BackpropError`
from the library becomes ``Error: <message>`` and exit status 2 (bad usage or unreadable
input), so the commands themselves catch nothing; exit status 1 means the command ran and found
something wrong (wrong answers in ``check``). Command modules are imported lazily so that
``backprop check`` does not pay for what ``backprop generate`` needs.
"""

from __future__ import annotations

import importlib

import click

from .. import __version__
from ..errors import BackpropError

#: command name -> module under grader.cli that defines ``command``
COMMANDS = {
    "solve": "solve",
    "families": "families",
    "generate": "generate",
    "grade": "grade",
    "demo": "demo",
    "check": "check",
    "gradescope": "gradescope",
    "export": "export",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[name]}")
        return module.command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BackpropError as exc:  # the library's one error type: one line, exit status 2
            from ..render.inert import printable
            from .common import InputError

            raise InputError(printable(exc.message)) from None  # (a file's text: no terminal escapes)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backprop")
def cli() -> None:
    """Generate, solve and grade backpropagation homework on small sigmoid nets.

    Quantities follow the MIT 6.034 derivation: p_N, o_N, delta_N, dw_F_N, new_w_F_N, P.

    Example:

        backprop solve problem.toml
    """


def main() -> None:
    cli(prog_name="backprop")
