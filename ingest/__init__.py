"""Articles in: what the user names (files, folders, URLs, feeds, JSONL) read, checked,
chunked, embedded and written to the store."""
