"""The one error a reader raises for input it refuses.

The message is for the user: the CLI prints `error: FILE: <message>` and exits 2.
"""


class ParseError(Exception):
    """Input Norma cannot or will not read; `str(err)` says what is wrong."""
