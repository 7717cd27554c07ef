"""The answering core: a question in, an `Answer` with its citations out; knows no Discord."""
