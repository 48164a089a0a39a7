"""Grades: which submission of each student counts, and its points."""
