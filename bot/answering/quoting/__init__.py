"""Choosing the quote: ranking sentences, what the question pins down and asks for, the near miss."""
