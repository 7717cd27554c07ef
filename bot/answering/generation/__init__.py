"""Answers written by an LLM, and their verification against the sources."""
