"""``tinhso market figures-rebuild | figures-verify | deadlines | payments``: operate the
marketplace's derived data and periodic work by hand (the worker runs the last two)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Chợ nông sản: tính lại / kiểm tra số liệu IOC, áp dụng thời hạn khiếu nại, truy "
            "vấn giao dịch và hoàn tiền. Marketplace: IOC figures, time limits, payments.")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
        sub.required = True
        sub.add_parser("figures-rebuild", help="recompute the IOC projection from the orders")
        verify = sub.add_parser("figures-verify", help="compare the projection with the "
                                                       "aggregate over the orders (exit 1)")
        verify.add_argument("--no-drain", action="store_true",
                            help="compare as is, without delivering pending outbox events")
        sub.add_parser("deadlines", help="escalate unanswered disputes, complete orders")
        sub.add_parser("payments", help="querydr pending attempts, send refunds owed")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["subcommand"]
        if name == "figures-rebuild":
            from tinhso.market.figures import figures_rebuild

            self.stdout.write(f"market figures rebuilt: {figures_rebuild()} cells")
        elif name == "figures-verify":
            from tinhso.market.selectors import market_figures, market_figures_raw

            if not options["no_drain"]:
                from tinhso.outbox.dispatch import run_consumer

                applied = run_consumer("market-figures", limit=1_000_000)
                self.stdout.write(f"applied {applied} pending events first")
            if market_figures() != market_figures_raw():
                raise CommandError("the market figures differ from the orders and listings")
            self.stdout.write("market figures match the orders and listings")
        elif name == "deadlines":
            from tinhso.market.deadlines import deadlines_apply

            self.stdout.write(str(deadlines_apply()))
        else:
            from tinhso.market.refunds import market_payments_sweep

            self.stdout.write(str(market_payments_sweep()))
