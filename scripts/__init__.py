"""Operator and developer scripts; a package so that tests and benches import them by one name."""
