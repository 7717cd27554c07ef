"""Identity and dates: whose article it is and when it was published.

- `ids.py`: ids and origins (an update replaces an article only from the same origin).
- `dates.py`: every date format news uses -> an ISO day; the dateline; the first-seen time.
- `neardup.py`: wire copies get one story id (MinHash LSH, `stories.sqlite3`).
"""
