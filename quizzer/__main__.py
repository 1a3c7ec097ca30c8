"""Entry point for `python -m quizzer` and the `quizzer` script; the CLI does the rest.

Rule: this module imports nothing heavy before it can catch Ctrl-C, so an interrupt even
while the CLI is still loading ends with one line, not a traceback. A plain `due` or
`review` runs without loading the CLI framework at all (quizzer/quick.py).
"""

import sys


def run() -> None:
    try:
        from quizzer.quick import quick

        if quick(sys.argv[1:]):
            return
        from quizzer.cli import main

        main()
    except KeyboardInterrupt:
        if sys.stderr is not None:
            sys.stderr.write("\nInterrupted; every grade given so far is saved.\n")
        sys.exit(130)


if __name__ == "__main__":
    run()
