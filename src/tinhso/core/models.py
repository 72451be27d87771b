"""The core app's one table: generation numbers of the per-process lookup caches."""

from __future__ import annotations

from django.db import models


class CacheGeneration(models.Model):
    """One row per cached kind (``tinhso.core.lookupcache``): bumped in the transaction of any
    change to what that kind caches, read once per request by every server process."""

    kind = models.CharField("loại", max_length=40, primary_key=True)
    value = models.BigIntegerField("thế hệ", default=0)

    class Meta:
        verbose_name = "thế hệ bộ nhớ đệm"
        verbose_name_plural = "thế hệ bộ nhớ đệm"

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"
