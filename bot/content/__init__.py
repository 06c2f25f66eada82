"""Content as data: timeline, FAQ topics, programmes, contacts and scam warnings."""
