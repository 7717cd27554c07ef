"""Errors from the answering core whose text is safe to show."""

from common.errors import NewsdeskError


class QuestionError(NewsdeskError):
    """The question is empty, too long, or otherwise not answerable as given."""
