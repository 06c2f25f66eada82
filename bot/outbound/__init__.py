"""The one outbound path: outbox rows sent through each channel's send contract."""
