"""``python -m grader`` is the ``backprop`` command."""

from .cli import main

if __name__ == "__main__":
    main()
