"""Dialogue handlers, one module per feature. Channel-free; no SQL; never commit."""

from __future__ import annotations

from bot.core.router import Router
from bot.handlers import common, device, faq, menu


def build_router() -> Router:
    """The router with every feature's routes registered."""
    router = Router()
    common.register(router)
    menu.register(router)
    faq.register(router)
    device.register(router)
    return router
