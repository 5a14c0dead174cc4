"""(stage package)."""
