"""What every layer may import: the base of the errors meant for users (`errors.py`), the
order of newsdesk's locks (`lock_order.py`) and the one opener of SQLite files
(`sqlite.py`). It imports nothing of newsdesk's."""
