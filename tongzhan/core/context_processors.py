from django.conf import settings


def site(request):
    return {"demo_mode": settings.TONGZHAN["DEMO"], "site_name": "统战工作管理平台"}
