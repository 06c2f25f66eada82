"""Repositories: data access that takes a session and never commits."""
