from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "tinhso.workdays"
    label = "workdays"
    verbose_name = "Lịch làm việc"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tinhso.workdays.calendar import invalidate_cache
        from tinhso.workdays.models import CalendarOverride

        # Cache invalidation only (no business logic): any write to an override in this
        # process (service, admin, shell, test) drops the cached calendars at once; other
        # processes notice through the stamp check in calendar.py.
        def _invalidate(**_: object) -> None:
            invalidate_cache()

        post_save.connect(_invalidate, sender=CalendarOverride, weak=False,
                          dispatch_uid="workdays_override_saved")
        post_delete.connect(_invalidate, sender=CalendarOverride, weak=False,
                            dispatch_uid="workdays_override_deleted")
