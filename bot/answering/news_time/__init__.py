"""Time in questions, overviews, stories and later reports."""
