"""``backprop generate`` into a folder that is already there: refused unless told (--force,
--add), staged so that a crash leaves the previous OUT as it was, instructor files private,
and the secret kept outside OUT."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from grader.cli import cli
from grader.generator import sign
from grader.validation import instance_from_dict

SECRET_TEXT = "0123456789abcdef-publish-test-secret"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path there, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_text(SECRET_TEXT + "\n")
    return path


@pytest.fixture
def gen(runner, secret):
    """``backprop generate FAMILY ARGS... --secret-file SECRET`` through the CLI runner."""

    def run(*args: str, family: str = "chain"):
        return runner.invoke(cli, ["generate", family, *args, "--secret-file", str(secret)])

    return run


def roster(path: Path, ids: list[str]) -> Path:
    path.write_text("id,name\n" + "".join(f"{i},Name of {i}\n" for i in ids))
    return path


# ---------------------------------------------------------------- refusals


def test_generate_into_a_folder_with_a_key_is_refused_and_changes_nothing(gen, tmp_path):
    out = tmp_path / "hw"
    assert gen("--count", "3", "--out", str(out)).exit_code == 0
    before = files_of(out)
    result = gen("--count", "5", "--out", str(out))
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {out}: already holds a key for 3 students, handouts/, solutions/ and checker/; add the "
        "roster's new students with --add (everyone else keeps their variant), or replace it all with "
        "--force\n"
    )
    assert files_of(out) == before


@pytest.mark.parametrize(
    "make, args, message",
    [
        (lambda out: (out / "handouts").mkdir(parents=True), [],
         "{out}: already holds handouts/; add the roster's new students with --add (everyone else keeps "
         "their variant), or replace it all with --force"),
        (lambda out: (out / "solutions").mkdir(parents=True), ["--add"],
         "{out}: holds no key.json to add students to; generate without --add"),
        (lambda out: out.mkdir(), ["--add"],
         "{out}: holds no key.json to add students to; generate without --add"),
        (lambda out: out.mkdir(), ["--add", "--force"],
         "give at most one of --force (replace it all) and --add (late students)"),
        (lambda out: (out.mkdir(), (out / "key.json").write_text("{")), ["--add"],
         "{out}/key.json: is not a key written by backprop generate; replace it all with --force"),
        (lambda out: (out.mkdir(), (out / "key.json").write_text("[]")), [],
         "{out}: already holds a key.json; add the roster's new students with --add (everyone else keeps "
         "their variant), or replace it all with --force"),
    ],
    ids=["old-handouts", "add-without-key", "add-to-empty", "add-and-force", "add-to-broken-key",
         "broken-key"],
)
def test_refusals_say_what_is_there_and_the_ways_on(gen, tmp_path, make, args, message):
    out = tmp_path / "hw"
    make(out)
    before = files_of(out) if out.is_dir() else out.read_bytes()
    result = gen("--count", "2", "--out", str(out), *args)
    assert result.exit_code == 2
    assert result.output == f"Error: {message.format(out=out)}\n"
    assert (files_of(out) if out.is_dir() else out.read_bytes()) == before


def test_out_must_be_a_folder(tmp_path):
    from grader.errors import BackpropError
    from grader.publish import open_target

    (tmp_path / "hw").write_text("x")
    with pytest.raises(BackpropError, match=r"hw: is a file; --out needs a folder$"):
        open_target(tmp_path / "hw", "replace")


def test_generate_into_an_empty_or_unrelated_folder_is_allowed_and_keeps_what_is_there(gen, tmp_path):
    out = tmp_path / "course"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "plan.txt").write_text("week 3: backprop\n")
    assert gen("--count", "2", "--out", str(out)).exit_code == 0
    assert (out / "notes" / "plan.txt").read_text() == "week 3: backprop\n"
    assert sorted(json.loads((out / "key.json").read_text())["students"]) == ["student01", "student02"]


# ---------------------------------------------------------------- --force


def test_force_replaces_handouts_solutions_and_key_and_keeps_everything_else(gen, tmp_path):
    out = tmp_path / "hw"
    assert gen("--count", "4", "--format", "toml,md", "--out", str(out)).exit_code == 0
    (out / "graded").mkdir()
    (out / "graded" / "gradebook.csv").write_text("student,score\n")
    (out / "secret.txt").write_text("an old secret beside the key\n")
    result = gen("--count", "2", "--format", "toml", "--assignment", "hw2", "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "handouts").iterdir()) == ["student01.toml", "student02.toml"]
    assert sorted(p.name for p in (out / "solutions").iterdir()) == [  # (each with its drawing of the net)
        "student01.md", "student01.svg", "student02.md", "student02.svg"]
    key = json.loads((out / "key.json").read_text())
    assert key["assignment"] == "hw2" and sorted(key["students"]) == ["student01", "student02"]
    assert (out / "graded" / "gradebook.csv").read_text() == "student,score\n"
    assert (out / "secret.txt").read_text() == "an old secret beside the key\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no stage, no trash left


# ---------------------------------------------------------------- --add


def test_add_gives_late_students_variants_and_keeps_everyone_else_byte_for_byte(gen, tmp_path):
    out = tmp_path / "hw"
    first = roster(tmp_path / "first.csv", ["ann", "bob", "cy", "dee"])
    assert gen("--roster", str(first), "--format", "toml,md,ipynb", "--out", str(out)).exit_code == 0
    before = files_of(out)
    old_key = json.loads(before.pop("key.json"))
    # the new roster: dee has left, eve and fay are late
    late = roster(tmp_path / "late.csv", ["ann", "bob", "cy", "eve", "fay"])
    result = gen("--roster", str(late), "--out", str(out), "--add")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Added 2 students (toml, md, ipynb) to {out}/handouts, with worked solutions in {out}/solutions; "
        f"the key {out}/key.json now has 6 students (4 kept as they were).\n")
    after = files_of(out)
    new_key = json.loads(after.pop("key.json"))
    for path, data in before.items():  # every old handout and solution, dee's too
        assert after[path] == data, path
    added = sorted(set(after) - set(before))
    formats = (("handouts", ("ipynb", "md", "svg", "toml")), ("solutions", ("md", "svg")))
    assert added == [f"{d}/{s}.{e}" for d, exts in formats for s in ("eve", "fay") for e in exts]
    assert list(new_key["students"]) == ["ann", "bob", "cy", "dee", "eve", "fay"]
    for sid, entry in old_key["students"].items():
        assert new_key["students"][sid] == entry  # the same numbers, to the bit
    assert {k: v for k, v in new_key.items() if k != "students"} == {
        k: v for k, v in old_key.items() if k != "students"}
    instances = [json.dumps(e["instance"], sort_keys=True) for e in new_key["students"].values()]
    assert len(set(instances)) == 6  # the late students' variants are new ones
    for sid in ("eve", "fay"):
        entry = new_key["students"][sid]
        instance = instance_from_dict(entry["instance"])
        assert entry["signature"] == sign(SECRET_TEXT.encode(), "hw", sid, instance)
        assert entry["name"] == f"Name of {sid}"


def test_add_with_nobody_new_writes_nothing(gen, tmp_path):
    out = tmp_path / "hw"
    assert gen("--count", "3", "--out", str(out)).exit_code == 0
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    result = gen("--count", "2", "--out", str(out), "--add")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Nothing to add: every student on the roster is in {out}/key.json already")
    assert {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*") if p.is_file()} == before


def test_add_needs_the_same_secret_family_and_assignment(gen, runner, tmp_path):
    out = tmp_path / "hw"
    assert gen("--count", "2", "--out", str(out)).exit_code == 0
    other = tmp_path / "other-secret"
    other.write_text("another-secret-0123456789\n")
    result = runner.invoke(cli, ["generate", "chain", "--count", "3", "--out", str(out), "--add",
                                 "--secret-file", str(other)])
    assert result.exit_code == 2
    assert result.output == (f"Error: {out}/key.json: was signed with another secret; give --secret-file "
                             "with the secret that made it\n")
    result = gen("--count", "3", "--out", str(out), "--add", "--assignment", "hw9")
    assert result.output == (f"Error: {out}/key.json: is the key of family 'chain', assignment 'hw'; --add "
                             "needs the same family and --assignment, or replace it all with --force\n")
    result = gen("--count", "3", "--out", str(out), "--add", family="chain3")
    assert result.exit_code == 2 and "is the key of family 'chain'" in result.output


def test_add_to_a_key_made_with_the_old_default_secret_points_at_it(runner, tmp_path):
    """Older versions kept the secret in OUT/secret.txt: --add with the new default says where."""
    out = tmp_path / "hw"
    assert runner.invoke(cli, ["generate", "chain", "--count", "2", "--out", str(out),
                               "--secret-file", str(out / "secret.txt")]).exit_code == 0
    result = runner.invoke(cli, ["generate", "chain", "--count", "3", "--out", str(out), "--add"])
    assert result.exit_code == 2
    assert result.output.endswith(f"(older versions kept it in {out}/secret.txt)\n")
    result = runner.invoke(cli, ["generate", "chain", "--count", "3", "--out", str(out), "--add",
                                 "--secret-file", str(out / "secret.txt")])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- staging


class Boom(Exception):
    pass


def _fail_on_call(monkeypatch, module, name: str, n: int) -> None:
    real = getattr(module, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise Boom(f"{name} fails on call {n}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


@pytest.mark.parametrize("mode", [[], ["--force"], ["--add"]], ids=["new", "force", "add"])
def test_a_renderer_failing_on_the_fifth_student_leaves_the_previous_out_intact(gen, tmp_path, monkeypatch,
                                                                                 mode):
    from grader.render import handout

    out = tmp_path / "hw"
    if mode:
        assert gen("--count", "3", "--out", str(out)).exit_code == 0
    before = files_of(out) if out.exists() else None
    _fail_on_call(monkeypatch, handout, "handout_markdown", 5 - (3 if mode == ["--add"] else 0))
    result = gen("--count", "8", "--jobs", "1", "--out", str(out), *mode)
    assert isinstance(result.exception, Boom)
    if before is None:
        assert not out.exists()
    else:
        assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["secret", *(["hw"] if mode else [])])


def test_a_failure_while_moving_into_place_puts_the_old_files_back(gen, tmp_path, monkeypatch):
    """The renames into an existing OUT: the old key out, old handouts out, ..., new key in; the
    third fails: what was moved goes back, nothing is lost, no trash is left."""
    out = tmp_path / "hw"
    assert gen("--count", "3", "--out", str(out)).exit_code == 0
    before = files_of(out)
    _fail_on_call(monkeypatch, os, "rename", 4)  # out: key, handouts, solutions; in: solutions <- fails
    result = gen("--count", "5", "--out", str(out), "--force")
    assert isinstance(result.exception, Boom)
    assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hw", "secret"]


def test_a_write_error_is_one_line(gen, tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    os.chmod(parent, 0o500)
    try:
        if os.access(parent, os.W_OK):  # root writes anyway: a path under a file cannot be made by anyone
            (tmp_path / "file").write_text("x")
            out = tmp_path / "file" / "hw"
        else:
            out = parent / "hw"
        result = gen("--count", "2", "--out", str(out))
    finally:
        os.chmod(parent, 0o700)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {out}: cannot write (")


# ---------------------------------------------------------------- permissions and the secret


def test_instructor_files_are_readable_by_their_owner_only(gen, tmp_path):
    out = tmp_path / "hw"
    old = os.umask(0o022)
    try:
        assert gen("--count", "2", "--format", "toml,md", "--out", str(out)).exit_code == 0
    finally:
        os.umask(old)
    assert mode(out / "key.json") == 0o600
    assert mode(out / "solutions") == 0o700
    assert {mode(p) for p in (out / "solutions").iterdir()} == {0o600}
    assert mode(out) == 0o755
    assert mode(out / "handouts") == 0o755
    assert {mode(p) for p in (out / "handouts").iterdir()} == {0o644}


def test_add_makes_kept_solutions_private(gen, tmp_path):
    """Solutions an older version wrote 0644 are kept byte for byte, but made private."""
    out = tmp_path / "hw"
    assert gen("--count", "2", "--out", str(out)).exit_code == 0
    os.chmod(out / "solutions", 0o755)
    for p in (out / "solutions").iterdir():
        os.chmod(p, 0o644)
    assert gen("--count", "3", "--out", str(out), "--add").exit_code == 0
    assert mode(out / "solutions") == 0o700
    assert {mode(p) for p in (out / "solutions").iterdir()} == {0o600}


def test_the_default_secret_is_a_private_per_user_file_outside_out(runner, tmp_path, config_home):
    out = tmp_path / "hw"
    result = runner.invoke(cli, ["generate", "chain", "--count", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    secret = config_home / "backprop" / "secret"
    assert result.output.endswith(f"Secret: {secret}  (instructor only: the same secret and roster give the "
                                  "same files)\n")
    assert mode(secret) == 0o600 and mode(secret.parent) == 0o700
    assert len(secret.read_text().strip()) == 64
    assert not [p for p in out.rglob("*") if "secret" in p.name]
    key = json.loads((out / "key.json").read_text())["students"]["student01"]
    assert key["signature"] == sign(secret.read_text().strip().encode(), "hw", "student01",
                                    instance_from_dict(key["instance"]))
    # the same secret next time: the same files
    again = runner.invoke(cli, ["generate", "chain", "--count", "2", "--out", str(tmp_path / "again")])
    assert again.exit_code == 0
    assert files_of(tmp_path / "again") == files_of(out)


@pytest.mark.parametrize("xdg", [None, "", "relative/config"], ids=["unset", "empty", "relative"])
def test_without_an_absolute_xdg_config_home_the_secret_is_under_home(monkeypatch, tmp_path, xdg):
    from grader.roster import default_secret_path

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME")
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    assert default_secret_path() == tmp_path / "home" / ".config" / "backprop" / "secret"


def test_the_tests_do_not_touch_the_real_config(config_home):
    from grader.roster import default_secret_path

    assert default_secret_path() == config_home / "backprop" / "secret"


def test_generate_killed_halfway_leaves_the_previous_out_as_it_was(tmp_path, secret):
    """A real ``backprop generate --force`` killed with SIGKILL while it writes its stage: OUT
    is exactly as before; only the hidden stage folder is left beside it."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "hw"
    base = [sys.executable, "-m", "grader", "generate", "chain", "--secret-file", str(secret),
            "--out", str(out)]
    subprocess.run([*base, "--count", "3"], check=True, capture_output=True)
    before = files_of(out)
    proc = subprocess.Popen([*base, "--count", "3000", "--jobs", "1", "--force"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the stage holds some handouts
            stages = [p for p in tmp_path.iterdir() if p.name.startswith(".hw.generate-")]
            if stages and len(list((stages[0] / "handouts").glob("*"))) > 20:
                break
            time.sleep(0.02)
        else:
            pytest.fail("no stage folder appeared")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert files_of(out) == before
    assert [p.name.split("-")[0] for p in tmp_path.iterdir() if p.name.startswith(".")] == [".hw.generate"]


def test_add_makes_the_class_pdf_again_with_everyone(gen, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "hw"
    assert gen("--count", "2", "--format", "toml,pdf", "--combined", "--out", str(out)).exit_code == 0
    before = files_of(out)
    result = gen("--count", "3", "--out", str(out), "--add")
    assert result.exit_code == 0, result.output
    after = files_of(out)
    for sid in ("student01", "student02"):
        for path in (f"handouts/{sid}.pdf", f"handouts/{sid}.toml", f"solutions/{sid}.pdf"):
            assert after[path] == before[path]
    assert "handouts/student03.pdf" in after and "solutions/student03.pdf" in after
    def pages(data: bytes) -> int:
        return len(PdfReader(io.BytesIO(data)).pages)

    handouts = [pages(after[f"handouts/student0{i}.pdf"]) for i in (1, 2, 3)]
    assert pages(before["handouts/class.pdf"]) == sum(handouts[:2])
    assert pages(after["handouts/class.pdf"]) == sum(handouts)  # everyone, the late student too


def test_into_a_mount_point_the_stage_is_made_inside_out(gen, tmp_path, monkeypatch):
    """OUT on another file system than its parent (a mounted volume): renames from the parent
    would fail, so the stage is made inside OUT, and removed."""
    from grader import staging

    out = tmp_path / "volume"
    out.mkdir()
    monkeypatch.setattr(staging, "_device", lambda path: 2 if Path(path) == out else 1)
    roots = []
    real_init = staging.Stage.__init__

    def spy(self, *args):
        real_init(self, *args)
        roots.append(self.root)

    monkeypatch.setattr(staging.Stage, "__init__", spy)
    for args in (["--count", "2"], ["--count", "3", "--add"], ["--count", "1", "--force"]):
        result = gen(*args, "--out", str(out))
        assert result.exit_code == 0, result.output
    assert [root.parent for root in roots] == [out] * 3
    assert sorted(p.name for p in out.iterdir()) == ["checker", "handouts", "key.json", "solutions"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret", "volume"]
    assert list(json.loads((out / "key.json").read_text())["students"]) == ["student01"]
