"""Descent Playground's web app: a thin adapter from WebSockets to the engine."""
