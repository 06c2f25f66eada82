"""The durable inbox: updates stored before they are acknowledged, then handled by workers."""
