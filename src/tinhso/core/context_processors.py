"""``nav``-independent menu entries: which links the menus show to the current user.

Every answer reuses the rule of the page it links to (the IOC reach, the feedback handler
rule, the admin's own permissions), is computed only when a template asks, and at most once
per request (the menu is rendered twice: the narrow toggle and the wide bar).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest


class NavLinks:
    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def official(self) -> bool:
        """One-stop desk, the feedback handling queue (``feedback.permissions``: officials of
        the addressed agency handle it)."""
        from tinhso.accounts.permissions import is_active_official

        return is_active_official(self.user)

    @cached_property
    def ioc(self) -> bool:
        from tinhso.ioc.scopes import may_open_ioc

        return may_open_ioc(self.user)

    @cached_property
    def inbox_unread(self) -> int:
        """Unread messages of the user's own inbox (tinhso.notifications; one count query)."""
        if not getattr(self.user, "is_authenticated", False):
            return 0
        from tinhso.notifications.selectors import unread_count

        return unread_count(self.user)

    def _admin_view(self, perm: str) -> bool:
        user = self.user
        return bool(getattr(user, "is_authenticated", False) and user.is_active
                    and user.is_staff and user.has_perm(perm))

    @cached_property
    def admin(self) -> bool:
        user = self.user
        return bool(getattr(user, "is_authenticated", False) and user.is_active
                    and user.is_staff)

    @cached_property
    def certification_register(self) -> bool:
        """The e-certified copy register (read-only admin with CSV export)."""
        return self._admin_view("documents.view_certificationregisterentry")

    @cached_property
    def certificates(self) -> bool:
        """Issued certificates (read-only admin; CA operations go through the API)."""
        return self._admin_view("signatures.view_certificate")


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_links": NavLinks(getattr(request, "user", None))}
