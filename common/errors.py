"""The base of the errors whose text is safe to show to a user; each layer's own errors
derive from it, and the CLI and the bot each catch it on their one error path."""


class NewsdeskError(Exception):
    """Base for errors meant for users: the message says what happened and what to do."""
