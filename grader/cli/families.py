"""``backprop families``: the built-in problem families (and those in --problems DIR)."""

from __future__ import annotations

import click


@click.command("families")
@click.option("--problems", type=click.Path(file_okay=False), default=None,
              help="Also list the families in this folder of family TOML files.")
def command(problems: str | None) -> None:
    """List the problem families that `backprop generate` can draw variants from.

    Example:

        backprop families
    """
    from ..family import list_family_ids, load_family

    ids = list_family_ids(problems)
    fams = [load_family(i, problems) for i in ids]
    width = max(len(f.id) for f in fams)
    for f in fams:
        shape = " -> ".join(
            [",".join(f.inputs)] + [",".join(layer) for layer in f.layers]
        )
        extra = [f"bias: {f.bias}"]
        if f.fixed_samples:
            extra.append(f"{len(f.fixed_samples)} fixed samples")
        if f.epochs > 1:
            extra.append(f"{f.epochs} epochs")
        click.echo(f"{f.id:<{width}}  {f.title}  [{shape}; {'; '.join(extra)}]")
