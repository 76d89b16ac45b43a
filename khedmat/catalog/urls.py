from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("services/", views.service_index, name="services"),
    path("services/categories/<slug:slug>/", views.category_detail, name="category"),
    path("services/agencies/", views.agency_index, name="agencies"),
    path("services/agencies/<slug:slug>/", views.agency_detail, name="agency"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
]
