from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "tinhso.documents"
    label = "documents"
    verbose_name = "Phiếu, văn bản điện tử"

    def ready(self) -> None:
        # With the outbox installed, the forms follow its dossier events ("documents"
        # consumer); without it, dossiers.paperwork.issue_after_commit enqueues them.
        try:
            from tinhso.outbox.registry import (  # type: ignore[import-not-found]
                register_consumer,
            )
        except ImportError:
            return
        from tinhso.documents import issuing

        register_consumer("documents", issuing.handle_event, types=set(issuing.TYPES))
