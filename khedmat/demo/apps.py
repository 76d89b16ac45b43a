from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration data's commands (`seed_demo`, `demo_logins`): the one app that may use
    every other, so it sits above them all and nothing imports it."""

    name = "khedmat.demo"
    label = "demo"
    verbose_name = "Demonstration data"
