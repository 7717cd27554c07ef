"""The Discord door: the only package that imports discord."""
