"""Errors a source can report. The collector turns each into a stale (UNKNOWN) observation."""


class ParseError(ValueError):
    """The payload is not what this source's format promises. The message is one line, safe to log."""
