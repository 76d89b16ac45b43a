from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("performance/", views.index, name="index"),
    path("performance/services/<slug:slug>/", views.service, name="service"),
    path("performance/agencies/<slug:slug>/", views.agency, name="agency"),
    path("performance/centers/<slug:slug>/", views.center, name="center"),
]
