"""The grading engine: problem bundles, the sandbox, comparison and diagnosis."""
