from django.conf import settings


def site(request):
    """Site name, demo flag, and which menu entries the user's role opens (the views still check)."""
    user = getattr(request, "user", None)
    may = getattr(user, "may", None) if getattr(user, "is_authenticated", False) else None
    menu = {}
    if may is not None:
        menu = {
            "people": may("people.person", "read"),
            "regions": may("regions.region", "read"),
            "users": may("accounts.user", "read"),
            "audit": may("audit.auditevent", "read"),
        }
    return {"demo_mode": settings.TONGZHAN["DEMO"], "site_name": "统战工作管理平台", "menu": menu}
