"""Notebooks: per-student handouts, answers read without running code, sandboxed execution,
and the batch grading loop.

- :mod:`.handout` builds the nbformat v4 handout of one variant;
- :mod:`.read` reads answers statically (``ast``, never ``eval``);
- :mod:`.execute` runs a notebook in a sandboxed kernel (``--execute``) and reads the ids;
- :mod:`.batch` grades a folder of submissions against an instructor key.
"""
