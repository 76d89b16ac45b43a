"""Loads and lists the demonstration data of the repository's demo/ folder."""
