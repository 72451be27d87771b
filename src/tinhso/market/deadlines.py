"""The marketplace's time limits, applied by a periodic job (``tasks.market_deadlines``).

- A dispute the seller has not answered within M days (``TINHSO_MARKET_DISPUTE_ANSWER_DAYS``)
  escalates to the province's market officers (event ``market.order_escalated``).
- A delivered order that nobody disputed completes K days after delivery
  (``TINHSO_MARKET_COMPLETE_DAYS``): it can no longer be disputed and counts as final.
- (The N-day dispute window itself is checked when the buyer disputes: ``orders.order_act``.)

Each order is re-checked under its row lock (``orders.order_system_act``): a seller answering,
or a buyer disputing, at the same moment wins or loses cleanly, never both.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tinhso.market import conf
from tinhso.market.models import Order, OrderStatus
from tinhso.market.orders import order_system_act

BATCH = 500


def deadlines_apply(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done = {"escalated": 0, "completed": 0}
    answer_cutoff = now - dt.timedelta(days=conf.dispute_answer_days())
    waiting = (Order.objects.filter(status=OrderStatus.DISPUTED, disputed_at__lte=answer_cutoff,
                                    dispute_answered_at__isnull=True, escalated_at__isnull=True)
               .order_by("disputed_at").values_list("pk", flat=True)[:BATCH])
    for order_id in list(waiting):
        if order_system_act(order_id=order_id, action="escalate", not_after=answer_cutoff):
            done["escalated"] += 1
    complete_cutoff = now - dt.timedelta(days=conf.complete_days())
    due = (Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=complete_cutoff)
           .order_by("delivered_at").values_list("pk", flat=True)[:BATCH])
    for order_id in list(due):
        if order_system_act(order_id=order_id, action="complete", not_after=complete_cutoff):
            done["completed"] += 1
    return done
