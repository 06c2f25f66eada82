"""Channels: translate platform events to `Incoming` and `Reply` to platform calls."""
