"""Why one source could not become an article; the text is shown in the summary."""

from common.errors import NewsdeskError


class SourceError(NewsdeskError):
    """A file, page or feed entry that cannot be turned into an article."""


class FetchError(SourceError):
    """A URL that cannot be fetched: dead, too big, too slow, wrong type, or refused."""


class UnsafeURLError(FetchError):
    """A URL whose host resolves to an address the bot must not reach for a user."""
