from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "In danh sách tài khoản mẫu. Print the demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        from tinhso.accounts.demo import DEMO_ACCOUNTS

        self.stdout.write("Tài khoản mẫu / demo accounts (username / password):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<22} {account.password:<18} "
                              f"{account.description}")
