"""Notebooks as files a student hands in: answers read without running code, and sandboxed
execution.

- :mod:`.nbfile` reads the file; :mod:`.read` the submission's answers statically (``ast``,
  never ``eval``; :mod:`.cells`, and :mod:`.plain` for plain cells);
- :mod:`.execute` runs a notebook in the bubblewrap sandbox (:mod:`.sandbox`, with
  :mod:`.runner` the script run inside it) for ``--execute`` and reads the ids.

The handout notebook itself is a view (:mod:`grader.render.notebook`); grading a class is
:mod:`grader.batch`.
"""
