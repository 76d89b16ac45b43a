"""WSGI entry point (gunicorn config.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# The garbage collector set for a web worker, once the application is loaded (with gunicorn's
# preload_app, in the master before it forks: decision 0045).
from khedmat.core.collector import collector_tuned  # noqa: E402  (needs the settings loaded above)

collector_tuned()
