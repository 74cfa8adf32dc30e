"""Descent Playground's training engine: pure NumPy, no I/O, no web."""
