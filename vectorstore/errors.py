"""The store's errors, whose text is safe to show to a user."""

from common.errors import NewsdeskError


class ModelMismatchError(NewsdeskError):
    """The store was built with another embedding model than the one configured."""


class StoreUnavailableError(NewsdeskError):
    """The Chroma store (embedded or server) cannot be opened or reached."""


class ModelNotFoundError(NewsdeskError):
    """The embedding model named in the settings cannot be found on this machine."""


class ArticleNotFoundError(NewsdeskError):
    """No article with that id is in the store."""


class StoreBusyError(NewsdeskError):
    """Another process (or thread) is writing to the store; the text says who."""


class StoreFormatError(NewsdeskError):
    """The store was written in a format this version cannot read; the text says how to rebuild."""
