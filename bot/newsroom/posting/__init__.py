"""How a channel's posts are chosen and written: its filters (filters.py) and the message
templates of its feeds (templates.py)."""
