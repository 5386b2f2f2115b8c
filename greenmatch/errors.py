"""Exceptions whose messages are shown to analysts.

Every message is Simplified Chinese and names the file, row, column or value involved and
what to do next. The CLI prints the message of a ``GreenmatchError`` without a traceback.
"""


class GreenmatchError(Exception):
    """Base class of errors caused by user input or the environment, not by a bug."""


class CatalogueError(GreenmatchError, ValueError):
    """A catalogue file is missing, unreadable or invalid."""


class LabelledDataError(GreenmatchError, ValueError):
    """A labelled data file (texts with entry codes) is missing, unreadable or invalid."""


class ModelNotFoundError(GreenmatchError, OSError):
    """A base model or a trained greenmatch model cannot be found or loaded."""


class InputFileError(GreenmatchError, ValueError):
    """An input or output file of batch matching is unusable."""


class HubError(GreenmatchError):
    """Pushing to or pulling from the Hugging Face Hub failed."""
