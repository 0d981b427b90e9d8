"""Where the memory of ``backprop grade`` goes, stage by stage, at one N (issue 15).

    python bench/scale_stages.py KEY OUT

OUT: the output folder of a finished ``grade`` of KEY's class. In one process, each stage of a
run is done in turn and kept, as the run keeps it, and the resident memory (``/proc/self/statm``)
and the time after it printed: the key loaded (:mod:`grader.key`), its instances validated, the
copy index (:mod:`grader.batch.copies`), the journal read back (:mod:`grader.batch.journal`),
the rows (:mod:`grader.batch.snapshot` ``rows_of``), the class summary
(:mod:`grader.batch.summary_files`), and the gradebook's and summary files' text.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    key_path, out = sys.argv[1], sys.argv[2]
    from grader.batch import journal as jr
    from grader.batch.copies import CopyIndex
    from grader.batch.outputs import gradebook_csv
    from grader.batch.rows import max_score
    from grader.batch.summary_files import summary_of
    from grader.key import load_key
    from grader.render.class_report import summary_json, summary_md

    kept = []
    last = [time.perf_counter(), rss_mib()]
    print(f"{'stage':<28} {'s':>6} {'+MiB':>7} {'RSS MiB':>8}")

    def stage(name: str, value: object) -> object:
        kept.append(value)
        now, rss = time.perf_counter(), rss_mib()
        print(f"{name:<28} {now - last[0]:>6.2f} {rss - last[1]:>7.0f} {rss:>8.0f}", flush=True)
        last[:] = [now, rss]
        return value

    stage("imports", None)
    key = stage("key loaded", load_key(key_path))
    stage("instances validated", [e.instance for e in key.students.values()])
    stage("copy index", CopyIndex(key))
    journal = jr.Journal(os.path.join(out, ".cache"))
    saved = stage("journal loaded", journal.load(lambda s: max_score(key, s)))
    rows = stage("rows", [s.entry.row for s in saved.values()])
    cs = stage("class summary", summary_of(key, rows, out, files=len(rows)))
    columns = list(dict.fromkeys(a for s in key.students.values() for a in s.asked))
    stage("gradebook text", gradebook_csv(rows, columns))
    stage("summary files' text", (summary_md(cs), summary_json(cs)))
    print(f"peak (ru_maxrss) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
