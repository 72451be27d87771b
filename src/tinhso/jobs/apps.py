from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "tinhso.jobs"
    label = "jobs"
    verbose_name = "Tác vụ nền"

    def ready(self) -> None:
        from huey.contrib.djhuey import HUEY
        from huey.signals import SIGNAL_ERROR

        from tinhso.jobs.services import on_task_error

        HUEY.signal(SIGNAL_ERROR)(on_task_error)
