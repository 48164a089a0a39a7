"""Check your solution on the visible tests, on your own machine: `python check.py` (or `--json`).

The comparison, messages and likely causes are the service's own code, shipped in `_gradelab_check/`; the
inputs and the reference's outputs of the visible tests are there too. Hidden tests and training run only on
the service.
"""

import importlib
import os
import sys

if sys.version_info < (3, 11):  # noqa: UP036  (the kit's judge uses Python 3.11: enum.StrEnum)
    sys.exit(f"check.py needs Python 3.11 or newer; this is Python {sys.version.split()[0]}.")

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.join(HERE, "_gradelab_check")

if __name__ == "__main__":
    try:
        import numpy  # noqa: F401  (the one package the kit needs)
    except ImportError:
        sys.exit("check.py needs NumPy: install it with `python -m pip install numpy`, then run check.py again.")
    sys.path[:0] = [KIT, os.path.join(KIT, "lib")]
    runner = importlib.import_module("kit_runner")
    sys.exit(runner.main(sys.argv[1:], folder=HERE, kit=KIT))
