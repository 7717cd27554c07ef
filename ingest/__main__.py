"""`python -m ingest ...`: the same command as `newsdesk ingest ...` (an entry point: it
reaches the composition root through the CLI, as `newsdesk` does)."""

import sys

from bot.cli import main

args = sys.argv[1:]
verbose = [a for a in args if a in ("-v", "--verbose")]  # an option of `newsdesk` itself
main([*verbose, "ingest", *(a for a in args if a not in verbose)], prog_name="python -m ingest")
