from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "khedmat.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from . import (
            checks,  # noqa: F401 (registers the deployment checks)
            jobs,
        )
        from .middleware import unbind_request_id
        from .services import events_prune

        request_finished.connect(unbind_request_id, dispatch_uid="khedmat.core.unbind_request_id")

        jobs.register("events_prune", every_seconds=24 * 60 * 60, run=events_prune,
                      description="Delete recorded domain events older than EVENTS_KEEP_DAYS.")
