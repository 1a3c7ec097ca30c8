"""Entry point for `python -m quizzer`; the CLI does the rest."""

from quizzer.cli import main

main()
