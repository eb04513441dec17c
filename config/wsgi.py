"""WSGI entry point, served by waitress (`manage.py start`) or gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from tongzhan.core.heap import freeze_startup_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What start-up built lives as long as the process: out of the collector's full sweeps.
freeze_startup_heap()
