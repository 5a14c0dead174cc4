"""`wildlong run CONFIG`: every stage in order, resumable, with a manifest of what is complete.

This package sits between the CLI and the stages: it is the one place that composes ``wildlong.loader``
and ``wildlong.synth`` (the stages never import each other or this package). The stages are declared
once, in :mod:`wildlong.run.registry`; :mod:`wildlong.run.pipeline` runs them, :mod:`wildlong.run.dry_run`
plans them.
"""
