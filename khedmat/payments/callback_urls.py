"""Provider callbacks: machine to machine, outside the language prefixes."""

from django.urls import path

from .contrib.bank_callback import views as bank_views

app_name = "payment_callbacks"

urlpatterns = [
    path("<slug:operator>/", bank_views.callback, name="bank_callback"),
]
