"""Test builders and doubles."""
