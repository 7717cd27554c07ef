"""The doors (the Discord bot, the `newsdesk` CLI), the composition root, the newsroom
and the answering core."""
