"""The one exception type meant for users.

Rule: anything the user can fix (a bad file, an unknown card, a bad grade, a newer
database) raises QuizzerError with one line that names the thing and says what to do.
The CLI catches it in one place, prints the line to stderr and exits non-zero.
"""


class QuizzerError(Exception):
    """A problem the user can fix; its message is one complete line."""

    def __init__(self, message: str, *, lines: list[str] | None = None) -> None:
        super().__init__(message)
        # Extra lines, one per problem, for errors that carry a list (deck validation).
        self.lines = lines or []
