"""The PrairieLearn question folder against PrairieLearn's own source.

Where the format was read (github.com/PrairieLearn/PrairieLearn, commit 88fb855):

- ``apps/prairielearn/src/schemas/infoQuestion.ts``: info.json's keys (strict: no others),
  ``type`` "v3", ``singleVariant``, ``partialCredit``;
- ``apps/prairielearn/elements/pl-number-input/schemas/pl-number-input.json``: the element's
  attributes (``additionalProperties: false``), ``comparison`` one of relabs, sigfig, decdig;
- ``apps/prairielearn/python/zygote.py``: server.py is run by ``exec`` with ``__file__`` set, the
  question folder as the working directory and ``serverFilesCourse`` first on ``sys.path``;
- ``apps/prairielearn/python/pyproject.toml``: PrairieLearn's own Python (3.13) and packages
  (numpy, lxml, sympy, ... but not jinja2);
- ``apps/prairielearn/src/question-servers/freeform.ts``: the elements grade first, then
  server.py's ``grade``, whose ``data["score"]`` stands; ``variant_seed`` is an integer.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from grader.family import load_family
from grader.platforms.prairielearn import write_question

INFO_KEYS = {"uuid", "type", "title", "topic", "tags", "clientFiles", "clientTemplates", "template",
             "gradingMethod", "singleVariant", "showCorrectAnswer", "partialCredit", "options",
             "externalGradingOptions", "dependencies", "workspaceOptions", "sharingSets",
             "sharePublicly", "shareSourcePublicly", "preferences", "comment"}
NUMBER_INPUT_ATTRIBUTES = {"allow-blank", "allow-complex", "allow-fractions", "answers-name", "aria-label",
                           "atol", "blank-value", "comparison", "correct-answer", "custom-format", "digits",
                           "display", "initial-value", "label", "placeholder", "rtol",
                           "show-correct-answer", "show-help-text", "show-placeholder", "show-score", "size",
                           "suffix", "weight"}


def test_info_json_and_the_elements_use_only_what_prairielearn_accepts(tmp_path):
    write_question(load_family("2-2-1-threshold"), str(tmp_path / "q"))
    info = json.loads((tmp_path / "q" / "info.json").read_text())
    assert set(info) <= INFO_KEYS and info["type"] == "v3"
    html = (tmp_path / "q" / "question.html").read_text()
    inputs = re.findall(r"<pl-number-input ([^>]*)>", html)
    assert inputs
    for attributes in inputs:
        names = set(re.findall(r'([a-z-]+)="', attributes))
        assert names <= NUMBER_INPUT_ATTRIBUTES, names - NUMBER_INPUT_ATTRIBUTES
        assert re.search(r'comparison="(relabs|sigfig|decdig)"', attributes)


def test_server_py_runs_as_prairielearns_zygote_runs_it_with_only_jinja2_beside_it(tmp_path):
    """server.py exec'd as the zygote does, in a fresh interpreter: it must need no package
    beyond this one and jinja2 (and markupsafe), which is what the README has the instructor
    put into serverFilesCourse (the rest, numpy among them, would shadow PrairieLearn's own)."""
    question = tmp_path / "questions" / "backprop"
    write_question(load_family("2-2-1-threshold"), str(question))
    package_root = Path(__file__).resolve().parent.parent
    script = textwrap.dedent(f"""
        import json, os, sys
        before = set(sys.modules)
        sys.path.insert(0, {str(package_root)!r})  # (stands for serverFilesCourse)
        os.chdir({str(question)!r})
        mod = {{"__file__": {str(question / "server.py")!r}}}
        exec(compile(open("server.py").read(), "server.py", "exec"), mod)
        data = {{"variant_seed": 1234567, "params": {{}}, "correct_answers": {{}}, "options": {{}}}}
        mod["generate"](data)
        json.dumps(data)  # PrairieLearn stores params as JSON
        grading = dict(data, raw_submitted_answers={{k: repr(v) for k, v in data["correct_answers"].items()}},
                       submitted_answers=dict(data["correct_answers"]), partial_scores={{}}, feedback={{}},
                       format_errors={{}}, score=0.0)
        mod["grade"](grading)
        new = {{m.split(".")[0] for m in set(sys.modules) - before}}
        third = sorted(new - set(sys.stdlib_module_names) - {{"grader"}})
        print(json.dumps({{"score": grading["score"], "modules": third}}))
    """)
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["score"] == 1.0
    assert set(found["modules"]) <= {"jinja2", "markupsafe"}, found["modules"]


def test_the_readme_installs_only_what_server_py_needs():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    line = re.search(r"pip install [^`]*serverFilesCourse[^`]*", readme)
    assert line, "the README says how to install the package for server.py"
    assert "--no-deps" in line.group(0) and "jinja2" in line.group(0) and "markupsafe" in line.group(0)
