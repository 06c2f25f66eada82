"""Vietnamese assistant for the 2G/3G network sunset."""
