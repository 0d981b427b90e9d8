"""The attack corpus: hundreds of malformed instance files, answer files and notebooks, fed to
every command that reads them (issue 10: "0 tracebacks, 0 hangs").

Build it and run it (the test suite does the same, :mod:`tests.test_attack_corpus`)::

    python bench/attack_corpus.py --out /tmp/corpus          # build, run, print the counts
    python bench/attack_corpus.py --out /tmp/corpus --list   # the cases and their files

:func:`build` writes a real course with ``backprop generate`` (a roster whose ids are the names
of the answer-file and notebook cases, so each case starts from its own student's handout and
is its own row in a batch), then every case (:mod:`corpus_instances`, :mod:`corpus_answers`,
:mod:`corpus_notebooks`) and a few valid submissions. :func:`run_case` runs one case's commands
in-process through click's ``CliRunner`` (``catch_exceptions=False``, so a traceback is an
exception here) under a per-command timer; :func:`run_batch` grades the whole corpus in one
``backprop grade`` process and compares the valid students' outputs with a run without it.

A command passes when it raises nothing, ends within the timeout, exits 0, 1 or 2, and, on 2,
writes exactly one line to stderr, starting ``Error: ``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus_answers  # noqa: E402,F401  (each registers its cases)
import corpus_instances  # noqa: E402,F401
import corpus_notebooks  # noqa: E402,F401
from corpus_batch import python_env, run_batch  # noqa: E402,F401  (run_batch: part of the interface)
from corpus_cases import CASES, Case, Special  # noqa: E402

FAMILY = "2-2-1-threshold"
FOLDERS = {"instance": "instances", "answers": "answers", "notebook": "notebooks"}
#: seconds of CPU one command may take before it counts as a hang (CPU, not wall time: a
#: machine busy with other work must not turn a slow case into a hang; a command blocked
#: without using CPU is caught by :func:`run_all`'s limit instead)
TIMEOUT = 4.0
#: address space of a runner process: a command that would take more fails instead of swapping
MEMORY = 4 << 30


@dataclass(frozen=True)
class Built:
    name: str
    kind: str  # instance | answers | notebook (a special path: the kind of the folder it is in)
    path: str
    regular: bool  # a regular file (a batch grades it); False: a folder or a symlink


# --------------------------------------------------------------------------- building


def _folder_of(case: Case) -> str:
    if case.kind != "special":
        return FOLDERS[case.kind]
    return {"inst": "instances", "toml": "answers", "nb": "notebooks"}[case.name.split("-")[0]]


def build(dest: str | Path) -> dict[str, Any]:
    """Write the course, the corpus and the valid submissions under ``dest``; return the manifest
    (also written to ``dest/manifest.json``)."""
    from click.testing import CliRunner

    from grader.cli import cli

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    students = [c.name for c in CASES if c.student] + [f"valid{i:02d}" for i in range(1, 6)]
    roster = dest / "roster.csv"
    roster.write_text("id\n" + "\n".join(students) + "\n")
    course = dest / "course"
    result = CliRunner().invoke(
        cli,
        [
            "generate",
            FAMILY,
            "--roster",
            str(roster),
            "--assignment",
            "corpus",
            "--format",
            "toml,ipynb",
            "--out",
            str(course),
            "--secret-file",
            str(dest / "secret.txt"),
        ],
        catch_exceptions=False,
    )
    if result.exit_code != 0:
        raise RuntimeError(f"backprop generate failed: {result.output}")
    handouts = course / "handouts"
    built = []
    for case in CASES:
        folder = dest / _folder_of(case)
        folder.mkdir(exist_ok=True)
        path = folder / f"{case.name}{case.suffix}"
        start = (handouts / f"{case.name}{case.suffix}").read_bytes() if case.student else None
        made = case.make(start)
        if isinstance(made, Special):
            if made.kind == "folder":
                path.mkdir(exist_ok=True)
            elif not path.is_symlink():
                os.symlink(made.target, path)
        else:
            path.write_bytes(made)
        kind = (
            case.kind
            if case.kind != "special"
            else {"instances": "instance", "answers": "answers", "notebooks": "notebook"}[folder.name]
        )
        built.append(Built(case.name, kind, str(path), not isinstance(made, Special)))
    valid = _valid(dest, course)
    manifest = {
        "key": str(course / "key.json"),
        "cases": [asdict(b) for b in built],
        "valid": valid,
        "folders": [str(dest / f) for f in FOLDERS.values()],
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def _valid(dest: Path, course: Path) -> list[str]:
    """Five ordinary submissions: right (notebook and TOML), blank, half right with one wrong,
    and answers as expressions; graded alone and within the corpus, they must agree."""
    key = json.loads((course / "key.json").read_text())
    folder = dest / "valid"
    folder.mkdir(exist_ok=True)
    out = []
    for i, how in enumerate(("right", "right", "blank", "half", "expressions"), 1):
        sid = f"valid{i:02d}"
        answers = key["students"][sid]["answers"]
        if how == "blank":
            values: dict[str, str] = {}
        elif how == "half":
            values = {q: repr(v) for j, (q, v) in enumerate(answers.items()) if j % 2 == 0}
            values[next(iter(answers))] = "0.123"
        elif how == "expressions":
            values = {q: f"({v!r} * 2) / 2" for q, v in answers.items()}
        else:
            values = {q: repr(v) for q, v in answers.items()}
        suffix = ".toml" if i in (2, 5) else ".ipynb"
        text = (course / "handouts" / f"{sid}{suffix}").read_text()
        for q, v in values.items():
            text = (
                text.replace(f'{q} = ""', f'{q} = "{v}"', 1)
                if suffix == ".toml"
                else text.replace(f"{q} = ...", f"{q} = {v}", 1)
            )
        path = folder / f"{sid}{suffix}"
        path.write_text(text)
        t = time.time() - 3600
        os.utime(path, (t, t))
        out.append(str(path))
    return out


# --------------------------------------------------------------------------- running one case


class Hang(BaseException):
    """A command ran past its timeout."""


def _alarm(signum: int, frame: Any) -> None:
    raise Hang()


def commands(b: Built, scratch: str) -> list[list[str]]:
    md = os.path.join(scratch, f"{b.name}.md")
    if b.kind == "instance":
        return [
            ["solve", b.path],
            ["solve", b.path, "--format", "json"],
            ["solve", b.path, "--format", "md", "-o", md],
        ]
    return [
        ["solve", b.path],
        ["check", b.path],
        ["check", b.path, "--json"],
        ["check", b.path, "--format", "md", "-o", md],
    ]


def judge(exit_code: int | None, stderr: str) -> str | None:
    """What is wrong with a command's ending, or None."""
    if "Traceback" in stderr:
        return "traceback in stderr"
    if exit_code not in (0, 1, 2):
        return f"exit status {exit_code}"
    if exit_code == 2:
        lines = stderr.strip("\n").split("\n")
        if len(lines) != 1 or not lines[0].startswith("Error: "):
            return f"exit status 2 without a one-line 'Error: ...' ({len(lines)} lines: {stderr[:200]!r})"
    return None


def run_case(b: Built, scratch: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """Run every command of ``b`` in this process; one record per command: argv, exit, seconds,
    problem (None, or ``traceback: ...``, ``hang: ...``, or what :func:`judge` says)."""
    from click.testing import CliRunner

    from grader.cli import cli

    runner = CliRunner()
    records = []
    previous = signal.signal(signal.SIGPROF, _alarm)
    try:
        hung = False
        for argv in commands(b, scratch):
            if hung:
                records.append(
                    {
                        "argv": argv,
                        "exit": None,
                        "seconds": 0.0,
                        "kind": "skipped",
                        "problem": "not run: an earlier command of this case hung",
                    }
                )
                continue
            start = time.perf_counter()
            exit_code, stderr, problem, kind = None, "", None, "ok"
            signal.setitimer(signal.ITIMER_PROF, timeout)
            try:
                result = runner.invoke(cli, argv, catch_exceptions=False)
                signal.setitimer(signal.ITIMER_PROF, 0)
                exit_code, stderr = result.exit_code, result.stderr
                problem = judge(exit_code, stderr)
                kind = "ok" if problem is None else "bad-exit"
            except Hang:
                hung, kind, problem = True, "hang", f"hang: no answer within {timeout:g} s"
            except BaseException as exc:  # a traceback: exactly what the corpus looks for
                signal.setitimer(signal.ITIMER_PROF, 0)
                kind, problem = "traceback", f"traceback: {type(exc).__name__}: {str(exc)[:200]}"
            records.append(
                {
                    "argv": argv,
                    "exit": exit_code,
                    "seconds": round(time.perf_counter() - start, 3),
                    "kind": kind,
                    "problem": problem,
                    "stderr": stderr[-300:],
                }
            )
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return records


def run_shard(manifest_path: str, shard: int, shards: int, timeout: float) -> None:
    """The runner process: the cases ``shard``, ``shard + shards``, ... of the manifest, one JSON
    line per case on stdout as soon as it is done (so the caller knows which case hung, should
    this process itself stop answering)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    sys.setrecursionlimit(1000)
    manifest = json.loads(Path(manifest_path).read_text())
    scratch = os.path.join(os.path.dirname(manifest_path), "scratch")
    os.makedirs(scratch, exist_ok=True)
    out = sys.stdout
    for i, raw in enumerate(manifest["cases"]):
        if i % shards != shard:
            continue
        b = Built(**raw)
        print(json.dumps({"name": b.name, "records": run_case(b, scratch, timeout)}), file=out, flush=True)


def run_all(
    manifest_path: str | Path, *, shards: int = 2, timeout: float = TIMEOUT, limit: float = 600.0
) -> dict[str, list[dict[str, Any]]]:
    """Every case's records, run by ``shards`` runner processes in parallel. A runner that stops
    answering for ``limit`` seconds is killed; its case in progress is recorded as a hang."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "run",
                str(manifest_path),
                "--shard",
                f"{i}/{shards}",
                "--timeout",
                str(timeout),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=python_env(),
        )
        for i in range(shards)
    ]
    results: dict[str, list[dict[str, Any]]] = {}
    names = [c["name"] for c in json.loads(Path(manifest_path).read_text())["cases"]]
    for i, proc in enumerate(procs):
        try:
            stdout, stderr = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        done = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        for d in done:
            results[d["name"]] = d["records"]
        mine = [n for j, n in enumerate(names) if j % shards == i]
        for n in mine[len(done) : len(done) + 1]:  # the case it was on when it died or hung
            results[n] = [
                {
                    "argv": [],
                    "exit": None,
                    "seconds": None,
                    "kind": "hang" if proc.returncode == -9 else "traceback",
                    "problem": f"the runner process ended ({proc.returncode}): "
                    f"{stderr.strip().splitlines()[-1:] if stderr.strip() else ''}",
                }
            ]
    return results


# --------------------------------------------------------------------------- the script


def summary(results: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    kinds = [r["kind"] for records in results.values() for r in records]
    return {
        "inputs": len(results),
        "commands": len(kinds),
        "tracebacks": kinds.count("traceback"),
        "hangs": kinds.count("hang"),
        "bad exits": kinds.count("bad-exit"),
        "inputs with a problem": sum(1 for records in results.values() if any(r["problem"] for r in records)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="all", choices=("all", "build", "run"))
    parser.add_argument("manifest", nargs="?", help="run: the manifest.json of a built corpus")
    parser.add_argument("--out", default="attack-corpus", help="folder to build the corpus in")
    parser.add_argument("--shard", default="0/1", help="run: this runner's share, i/n")
    parser.add_argument("--shards", type=int, default=2, help="runner processes in parallel")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per command")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.list:
        for c in CASES:
            print(f"{c.kind:9} {c.name}{c.suffix}")
        return 0
    if args.command == "run":
        i, n = (int(x) for x in args.shard.split("/"))
        run_shard(args.manifest, i, n, args.timeout)
        return 0
    t = time.perf_counter()
    manifest = build(args.out)
    print(f"built {len(manifest['cases'])} inputs in {args.out} ({time.perf_counter() - t:.1f} s)")
    if args.command == "build":
        return 0
    t = time.perf_counter()
    results = run_all(Path(args.out) / "manifest.json", shards=args.shards, timeout=args.timeout)
    (Path(args.out) / "results.json").write_text(json.dumps(results, indent=1))
    counts = summary(results)
    print(f"ran them in {time.perf_counter() - t:.1f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for name, records in sorted(results.items()):
        for r in records:
            if r["problem"]:
                print(f"  {name}: {' '.join(r['argv'][:1] + r['argv'][2:])}: {r['problem']}")
    batch = run_batch(manifest, args.out)
    print(f"batch: {batch['seconds']} s, statuses {batch['statuses']}, {len(batch['problems'])} problems")
    for p in batch["problems"]:
        print(f"  {p}")
    return 1 if counts["inputs with a problem"] or batch["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
