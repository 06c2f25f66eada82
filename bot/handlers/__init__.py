"""Dialogue handlers, one module per feature. Channel-free; no SQL; never commit."""

from __future__ import annotations

from bot.core.forms import Form, FormRoutes
from bot.core.router import Router
from bot.handlers import common, device, faq, menu, my_data, registration, reminders, staff


def build_router(*extra_forms: Form) -> Router:
    """The router with every feature's routes registered (`extra_forms`: more forms to route
    through the same mechanism, as tests do)."""
    router = Router()
    common.register(router)
    form_routes = FormRoutes(router, on_stop=common.leave)
    menu.register(router)
    faq.register(router)
    device.register(router, form_routes)
    registration.register(router, form_routes)
    my_data.register(router)
    reminders.register(router, form_routes)
    staff.register(router, form_routes)
    for form in extra_forms:
        form_routes.add(form)
    return router
