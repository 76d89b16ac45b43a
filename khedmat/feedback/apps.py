from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "khedmat.feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # A rating tablet, once paired, goes to this app's tablet page (centers cannot import
        # feedback: it sits below it).
        from django.urls import reverse

        from khedmat.centers.devices import RATING_TABLET, device_home_register

        device_home_register(RATING_TABLET, lambda device: reverse("feedback:counter_rate"))
