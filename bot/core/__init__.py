"""Channel-free conversation core: message types, turn runner, routing, i18n, text tools."""
