"""Persistence: models, engine/session factories, repositories and migrations."""
