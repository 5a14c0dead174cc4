"""`python -m wildlong.cli` runs the CLI (as the `wildlong` script does)."""

from wildlong.cli import main

main()
