"""The local check kit's own code: it runs on a student's machine, beside the judge shipped verbatim.

`check.py` is the kit's entry (the student runs `python check.py` in the unzipped starter folder); it puts
the kit's folder on the path and hands over to `runner.py`, shipped as `_gradelab_check/kit_runner.py`.
Both import only the standard library, NumPy and the kit's copies of the judge, the wire and gradelib.
"""
