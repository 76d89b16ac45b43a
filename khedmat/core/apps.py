from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "khedmat.core"
    label = "core"
    verbose_name = "Core"
