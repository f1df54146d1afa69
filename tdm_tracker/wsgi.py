"""WSGI entry point (gunicorn tdm_tracker.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tdm_tracker.settings")

application = get_wsgi_application()
