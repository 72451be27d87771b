import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
application = get_wsgi_application()

if os.environ.get("TINHSO_WARM_UP", "1") != "0":
    # The first request would otherwise import every view module (seconds): pay it at start.
    from tinhso.core.warmup import warm_up

    warm_up()
