"""backprop-grader: generate, solve and grade backpropagation homework (MIT 6.034 notation).

The Python API (pure, no I/O)::

    from grader.validation import instance_from_dict
    from grader.solver import solve
    trace = solve(instance_from_dict({...}))
    trace["delta_C"].value, trace["delta_C"].formula, trace["delta_C"].args
"""

__version__ = "0.1.0"
