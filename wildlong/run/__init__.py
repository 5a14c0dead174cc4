"""`wildlong run CONFIG`: every stage in order, resumable, with a manifest of what is complete.

This package sits beside the CLI: it is the one place that composes the stages (``wildlong.loader`` and
``wildlong.synth``); the stages themselves never import each other.
"""

# The stages of a run, in order (kept here so that the CLI can list them without importing the stages).
STAGES = (
    "read",
    "extract",
    "doctypes",
    "load",
    "documents",
    "walk",
    "instruct",
    "pair",
    "generate",
    "dataset",
)
