"""Batch grading: a class's submissions graded against the instructor's key into OUT.

:func:`grader.batch.run.grade_batch` is the loop (under OUT's lock, :mod:`.lock`); each file is
graded in a worker (:mod:`.worker`, :mod:`.submission`: whose it is, :mod:`.identity`, and
whether it copies a classmate, :mod:`.copies`); every student gets one typed row (:mod:`.rows`,
:mod:`.assemble`) written under OUT (:mod:`.outputs`) and journaled for reruns
(:mod:`.journal`); the class summary (:mod:`.summary`, pure) and its files
(:mod:`.summary_files`) close the run. :mod:`.demo_class` is ``backprop demo``'s class.
"""
