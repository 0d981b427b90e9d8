"""Output identity: one corpus of graded submissions, graded by two trees, compared with ``diff -r``.

A change that means to keep every grade, message and file as it was proves it here::

    python bench/identity_corpus.py compare --old /work/main --new .

builds the corpus (with this file's tree), grades it with each tree (``PYTHONPATH=TREE python -m
grader grade ...`` in a clean folder, so each tree imports its own ``grader``), and runs ``diff -r``
on the two output folders: it prints ``identical``, or the files that differ (exit status 1).
The steps also run alone::

    python bench/identity_corpus.py build DEST                  # DEST/corpus
    python bench/identity_corpus.py grade DEST --tree TREE --label old   # DEST/graded-old

The corpus: one course per built-in problem family (a fixed secret, so the same bytes on every
build), whose roster is named for what each student hands in:

- right and rounded answers, as notebooks and as TOML answer files; answers as expressions;
  blank; half answered; every misconception of DESIGN section 6 worked by the mutant solver;
  slips (one, two unrelated, every ``p`` written 0), answers at fewer decimals than asked;
  answers computed in code (``needs execution``);
- broken files, from the attack corpus (:mod:`corpus_notebooks`, :mod:`corpus_answers`):
  empty, truncated, garbage, UTF-16, a JSON list, nbformat 3, 5 and missing, metadata missing
  or of a wrong type, cells missing or strings; the same for TOML;
- tampered (weights edited and answered for those, the signature edited, another
  assignment's); mismatched file names (a classmate's handout under one's own name, one's own
  with the student edited); a copy of a classmate's answers in one's own handout; a student
  with two files (the newest counts); files that name nobody on the roster (``unknown``); a
  symlink loop (a file that cannot be read); and students who hand in nothing (``missing``).

Each course is graded in several ways, each into its own folder with its printed summary and
exit status beside the outputs: by file name; again into the same folder (the journal's
reuse); ``--id-from folder`` on an LMS-style layout and ``--id-from metadata`` on arbitrary
names; ``--ecf-credit 0.5``; and, for one family, ``--format md,pdf``. ``--attack`` adds every
notebook and answer-file case of the attack corpus (about 500 files) to one family's course.
``OUT/.cache`` (the journal: times, process ids) is left out of the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]  # (the corpus is built with this file's tree)

FAMILIES = ("chain", "chain3", "2-2-1", "2-2-1-threshold", "2-2-2-bias", "xor", "2-2-2-1")
#: the family whose course is also graded with PDFs, and gets the whole attack corpus with --attack
MAIN_FAMILY = "2-2-1-threshold"
SECRET = b"identity corpus (public; never for a course)"
ASSIGNMENT = "identity"
#: cases of the attack corpus every course gets (each from its student's own handout)
BROKEN = (
    "nb-empty", "nb-truncated", "nb-garbage", "nb-utf16-bom", "nb-json-list", "nb-nbformat-3",
    "nb-nbformat-5", "nb-nbformat-missing", "nb-metadata-missing", "nb-metadata-list", "nb-student-empty",
    "nb-cells-missing", "nb-cells-strings", "nb-cell-no-type",
    "toml-empty", "toml-truncated", "toml-garbage", "toml-utf16-bom", "toml-meta-missing", "toml-meta-array",
)
#: students of every course beside the misconceptions and the broken files
PLAIN = (
    "right", "right-toml", "rounded", "rounded-toml", "expressions-toml", "blank", "half",
    "slip-one", "slip-two", "p-zero", "precision", "code",
    "tampered-weights", "tampered-signature", "tampered-assignment",
    "mismatch-handout", "mismatch-name", "copy", "dup", "missing", "missing-toml", "loop",
)
#: submission files all dated this (s since the epoch) plus their index: a fixed order of age
EPOCH = 1_700_000_000


# --------------------------------------------------------------------------- building


def _roster(with_attack: bool) -> list[str]:
    from corpus_cases import CASES

    from grader.rules import MISCONCEPTIONS

    names = [*PLAIN, *(f"m-{m}" for m in MISCONCEPTIONS), *(f"broken-{b}" for b in BROKEN)]
    if with_attack:
        names += [f"attack-{c.name}" for c in CASES if c.kind in ("notebook", "answers") and c.student]
    return names


def _fill_toml(text: str, values: dict[str, str]) -> str:
    return re.sub(r'^([A-Za-z_][A-Za-z0-9_]*) = ""', lambda m: f'{m.group(1)} = "{values[m.group(1)]}"'
                  if m.group(1) in values else m.group(0), text, flags=re.M)


def _values(key: dict[str, Any], sid: str, how: str, decimals: int) -> dict[str, str]:
    """The answers of ``sid`` as written: ``exact`` (full precision), ``rounded`` or ``fewer``
    (two decimals fewer) from the key's values."""
    answers = key["students"][sid]["answers"]
    asked = key["students"][sid]["asked"]
    if how == "exact":
        return {q: repr(answers[q]) for q in asked}
    places = decimals - 2 if how == "fewer" else decimals
    return {q: f"{answers[q]:.{places}f}" for q in asked}


def _mutant(key: dict[str, Any], sid: str, misconception: str, decimals: int) -> dict[str, str]:
    from grader.rules import MISCONCEPTIONS
    from grader.solver import solve
    from grader.validation import instance_from_dict

    wrong = solve(instance_from_dict(key["students"][sid]["instance"]), MISCONCEPTIONS[misconception].rules)
    return {q: f"{wrong.value(q):.{decimals}f}" for q in key["students"][sid]["asked"]}


def _slipped(values: dict[str, str], asked: list[str], how: str) -> dict[str, str]:
    out = dict(values)
    if how == "slip-one":  # a factor 10 in the third answer
        q = asked[2]
        out[q] = repr(float(out[q]) * 10)
    elif how == "slip-two":  # two unrelated slips
        for q in (asked[0], asked[len(asked) // 2]):
            out[q] = repr(round(float(out[q]) + 0.3, 4))
    else:  # every p written 0, the rest as computed right
        out.update({q: "0" for q in asked if q.startswith("p_")})
    return out


def _with_meta(text: str, **changes: Any) -> str:
    nb = json.loads(text)
    nb["metadata"]["backprop"].update(changes)
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def _submission(sid: str, key: dict[str, Any], handouts: Path, roster: list[str]) -> dict[str, bytes]:
    """The files ``sid`` hands in (name -> bytes; none: missing)."""
    from corpus_cases import CASES

    from grader.batch.demo_class import _code_version, _tampered, fill
    from grader.validation import instance_from_dict

    entry = key["students"][sid]
    instance = instance_from_dict(entry["instance"])
    decimals = entry["instance"].get("decimals", 4)
    asked = entry["asked"]
    nb = (handouts / f"{sid}.ipynb").read_text()
    toml = (handouts / f"{sid}.toml").read_text()
    rounded = _values(key, sid, "rounded", decimals)
    ipynb = f"{sid}.ipynb"
    if sid.startswith("missing") or sid == "loop":  # (loop: a symlink to itself, made by build)
        return {}
    if sid.startswith("m-"):
        return {ipynb: fill(nb, _mutant(key, sid, sid[2:], decimals)).encode()}
    if sid.startswith(("broken-", "attack-")):
        name = sid.split("-", 1)[1]
        case = next(c for c in CASES if c.name == name)
        start = (toml if case.kind == "answers" else nb).encode()
        made = case.make(start)
        return {f"{sid}{case.suffix}": made} if isinstance(made, bytes) else {}
    other = "right"  # the classmate of the copy and the mismatch
    simple = {
        "right": lambda: fill(nb, _values(key, sid, "exact", decimals)),
        "rounded": lambda: fill(nb, rounded),
        "blank": lambda: nb,
        "half": lambda: fill(nb, {q: ("0.123" if i == 0 else v) for i, (q, v) in enumerate(rounded.items())
                                  if i % 2 == 0}),
        "slip-one": lambda: fill(nb, _slipped(rounded, asked, "slip-one")),
        "slip-two": lambda: fill(nb, _slipped(rounded, asked, "slip-two")),
        "p-zero": lambda: fill(nb, _slipped(rounded, asked, "p-zero")),
        "precision": lambda: fill(nb, _values(key, sid, "fewer", decimals)),
        "code": lambda: _code_version(nb, instance, tuple(asked)),
        "tampered-weights": lambda: _tampered(nb, tuple(asked)),
        "tampered-signature": lambda: _with_meta(fill(nb, rounded), signature="0" * 64),
        "tampered-assignment": lambda: _with_meta(fill(nb, rounded), assignment="another-assignment"),
        "mismatch-handout": lambda: fill((handouts / f"{other}.ipynb").read_text(),
                                         _values(key, other, "rounded", decimals)),
        "mismatch-name": lambda: _with_meta(fill(nb, rounded), student=other),
        "copy": lambda: fill(nb, _values(key, other, "rounded", decimals)),
    }
    if sid in simple:
        return {ipynb: simple[sid]().encode()}
    if sid == "right-toml":
        return {f"{sid}.toml": _fill_toml(toml, _values(key, sid, "exact", decimals)).encode()}
    if sid == "rounded-toml":
        return {f"{sid}.toml": _fill_toml(toml, rounded).encode()}
    if sid == "expressions-toml":
        return {f"{sid}.toml": _fill_toml(toml, {q: f"({v} * 2) / 2" for q, v in rounded.items()}).encode()}
    if sid == "dup":  # the newer file (written last, so dated later) counts
        return {f"{sid}.v2.ipynb": nb.encode(), ipynb: fill(nb, rounded).encode()}
    raise ValueError(f"no submission for {sid!r}")


def _generate(course: Path, family: str, roster: list[str], secret: Path) -> None:
    from click.testing import CliRunner

    from grader.cli import cli

    csv = course.parent / f"{course.name}-roster.csv"
    csv.write_text("id\n" + "\n".join(roster) + "\n")
    args = ["generate", family, "--roster", str(csv), "--assignment", ASSIGNMENT, "--format", "toml,ipynb",
            "--out", str(course), "--secret-file", str(secret), "--jobs", "1"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"backprop generate {family} failed: {result.output}")


def build(dest: str | Path, attack: bool = False, families: tuple[str, ...] = FAMILIES) -> Path:
    """Write the corpus under ``dest/corpus`` (replacing one there), a course for each of
    ``families``; return that folder."""
    import corpus_answers  # noqa: F401  (each registers its cases)
    import corpus_notebooks  # noqa: F401

    corpus = Path(dest).resolve() / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    secret = corpus / "secret"
    secret.write_bytes(SECRET)
    for family in families:
        roster = _roster(attack and family == MAIN_FAMILY)
        course = corpus / family
        _generate(course, family, roster, secret)
        key = json.loads((course / "key.json").read_text())
        handouts = course / "handouts"
        subs, folders, arbitrary = course / "subs", course / "folders", course / "arbitrary"
        for d in (subs, folders, arbitrary):
            d.mkdir()
        files: list[Path] = []
        for sid in roster:
            for name, data in _submission(sid, key, handouts, roster).items():
                files.append(subs / name)
                files[-1].write_bytes(data)
        # named for nobody on the roster: a classmate's filled handout, and one without metadata
        (subs / "nobody.ipynb").write_bytes((subs / "rounded.ipynb").read_bytes())
        (subs / "stranger.toml").write_text(_fill_toml((handouts / "right.toml").read_text(), {})
                                            .replace("[meta]", "[notes]"))
        files += [subs / "nobody.ipynb", subs / "stranger.toml"]
        os.symlink("loop.ipynb", subs / "loop.ipynb")  # (listed, but cannot be read: an error row)
        moved = ("right", "rounded", "m-sign-flip", "mismatch-name", "copy", "broken-nb-truncated")
        for i, sid in enumerate(moved):
            (folders / sid).mkdir()
            files.append(folders / sid / "homework.ipynb")
            shutil.copyfile(subs / f"{sid}.ipynb", files[-1])
            files.append(arbitrary / f"upload-{i}.ipynb")
            shutil.copyfile(subs / f"{sid}.ipynb", files[-1])
        for i, f in enumerate(files):
            os.utime(f, (EPOCH + i, EPOCH + i))
    return corpus


# --------------------------------------------------------------------------- grading


def _ways(family: str) -> list[tuple[str, list[str], list[str]]]:
    """(name, submission folders, options) of each way a course is graded."""
    ways = [
        ("by-name", ["subs"], []),
        ("by-name", ["subs"], []),  # again into the same folder: the journal's reuse
        ("by-folder", ["folders"], ["--id-from", "folder"]),
        ("by-metadata", ["arbitrary"], ["--id-from", "metadata"]),
        ("ecf-half", ["subs"], ["--ecf-credit", "0.5"]),
    ]
    if family == MAIN_FAMILY:
        ways.append(("pdf", ["subs"], ["--format", "md,pdf"]))
    return ways


def grade(dest: str | Path, tree: str | Path, label: str, jobs: int = 2) -> Path:
    """Grade ``dest/corpus`` with the ``grader`` of ``tree`` into ``dest/graded-<label>``."""
    dest = Path(dest).resolve()
    tree = Path(tree).resolve()
    corpus = dest / "corpus"
    env = dict(os.environ, PYTHONPATH=str(tree))
    found = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=corpus,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree):
        raise RuntimeError(f"PYTHONPATH={tree} imports grader from {found}")
    work = dest / "graded"  # the same path for every tree: the summaries name it
    shutil.rmtree(work, ignore_errors=True)
    for family in sorted(p.parent.name for p in corpus.glob("*/key.json")):
        seen: dict[str, int] = {}
        for way, folders, options in _ways(family):
            seen[way] = seen.get(way, 0) + 1
            out = work / family / way
            cmd = [sys.executable, "-m", "grader", "grade", f"{family}/key.json",
                   *(f"{family}/{f}" for f in folders), "--out", str(out), "--jobs", str(jobs), *options]
            proc = subprocess.run(cmd, cwd=corpus, env=env, capture_output=True, text=True)
            out.mkdir(parents=True, exist_ok=True)
            run = f"run{seen[way]}"
            (out / f"{run}.summary.txt").write_text(proc.stdout)
            (out / f"{run}.stderr.txt").write_text(proc.stderr)
            (out / f"{run}.exit.txt").write_text(f"{proc.returncode}\n")
    final = dest / f"graded-{label}"
    shutil.rmtree(final, ignore_errors=True)
    work.rename(final)
    return final


def compare(dest: str | Path, old: str | Path, new: str | Path, attack: bool = False, jobs: int = 2,
            families: tuple[str, ...] = FAMILIES) -> int:
    """Build, grade with both trees, diff: 0 identical, 1 not (the differing files printed)."""
    dest = Path(dest)
    t = time.perf_counter()
    corpus = build(dest, attack, families)
    files = sum(1 for p in corpus.rglob("*") if p.is_file() and p.parent.name != "handouts"
                and "solutions" not in p.parts)
    print(f"built {corpus} ({len(families)} families, {files} files) in {time.perf_counter() - t:.1f} s")
    for label, tree in (("old", old), ("new", new)):
        t = time.perf_counter()
        grade(dest, tree, label, jobs)
        print(f"graded with {tree} into {dest}/graded-{label} in {time.perf_counter() - t:.1f} s")
    proc = subprocess.run(["diff", "-r", "-q", "-x", ".cache", str(dest / "graded-old"),
                           str(dest / "graded-new")], capture_output=True, text=True)
    if proc.returncode == 0:
        outputs = sum(1 for p in (dest / "graded-new").rglob("*") if p.is_file() and ".cache" not in p.parts)
        print(f"identical ({outputs} output files)")
        return 0
    print(proc.stdout + proc.stderr, end="")
    print(f"differ: see diff -r -x .cache {dest}/graded-old {dest}/graded-new")
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the corpus into DEST/corpus")
    b.add_argument("dest")
    b.add_argument("--attack", action="store_true",
                   help="add every notebook and answer-file case of the attack corpus")
    g = sub.add_parser("grade", help="grade DEST/corpus with TREE's grader into DEST/graded-LABEL")
    g.add_argument("dest")
    g.add_argument("--tree", default=str(ROOT))
    g.add_argument("--label", default="new")
    g.add_argument("--jobs", type=int, default=2)
    c = sub.add_parser("compare", help="build, grade with --old and --new, diff -r")
    c.add_argument("--old", required=True, help="the tree to compare with (e.g. a worktree of main)")
    c.add_argument("--new", default=str(ROOT), help="the changed tree (default: this file's)")
    c.add_argument("--dest", default=None,
                   help="where the corpus and the outputs go (default: a new temporary folder, kept)")
    c.add_argument("--attack", action="store_true")
    c.add_argument("--jobs", type=int, default=2)
    for p in (b, c):
        p.add_argument("--families", default=",".join(FAMILIES), help="the problem families (default: all)")
    args = ap.parse_args(argv)
    if args.command == "compare" and args.dest is None:  # (two compares at once never share one)
        args.dest = tempfile.mkdtemp(prefix="identity-corpus-")
    if args.command == "build":
        print(build(args.dest, args.attack, tuple(args.families.split(","))))
        return 0
    if args.command == "grade":
        print(grade(args.dest, args.tree, args.label, args.jobs))
        return 0
    return compare(args.dest, args.old, args.new, args.attack, args.jobs, tuple(args.families.split(",")))


if __name__ == "__main__":
    sys.exit(main())
