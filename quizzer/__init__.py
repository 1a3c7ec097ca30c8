"""quizzer: spaced-repetition exam prep in the terminal.

The package keeps a pure core (cards, scheduler, session) apart from its shell
(store, ui, cli); heavy libraries are imported only by the commands that need them.
"""

__version__ = "0.1.0"
