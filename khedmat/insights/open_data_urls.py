from django.urls import path

from . import views_open_data as views

app_name = "open_data"
urlpatterns = [
    path("open-data/", views.index, name="index"),
    path("open-data/datapackage.json", views.datapackage, name="datapackage"),
    path("open-data/services.csv", views.services_csv, name="services"),
    path("open-data/centers.csv", views.centers_csv, name="centers"),
    path("open-data/daily-figures.csv", views.daily_figures_csv, name="daily_figures"),
    path("open-data/monthly-figures.csv", views.monthly_figures_csv, name="monthly_figures"),
    path("open-data/daily/<str:day>.csv", views.day_csv, name="day_csv"),
    path("open-data/daily/<str:day>.json", views.day_json, name="day_json"),
    path("open-data/monthly/<str:month>.csv", views.month_csv, name="month_csv"),
    path("open-data/monthly/<str:month>.json", views.month_json, name="month_json"),
]
