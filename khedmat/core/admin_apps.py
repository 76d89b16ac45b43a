"""The app configuration that puts Django's admin on our site class (core/admin_site.py). A
module of its own: Django reads INSTALLED_APPS before any model exists, and the site's
module needs them."""

from django.contrib.admin.apps import AdminConfig


class KhedmatAdminConfig(AdminConfig):
    """Django's admin, on the site that checks the rows an action names."""

    default_site = "khedmat.core.admin_site.KhedmatAdminSite"
