"""/collect/: the public pages (no login; the only ones the public host serves) and the staff pages."""

from django.urls import path

from . import public_views, views

app_name = "collection"

# The URL names a stranger may reach: listed in core.middleware.PUBLIC_URL_NAMES, and all that
# PublicHostMiddleware lets through on TONGZHAN_PUBLIC_HOST.
PUBLIC_NAMES = {"collection:public-index", "collection:public-form", "collection:receipt",
                "collection:captcha-image", "collection:captcha-refresh"}

urlpatterns = [
    path("", public_views.public_index, name="public-index"),
    path("<int:pk>/", public_views.public_form, name="public-form"),
    path("receipt/", public_views.receipt, name="receipt"),
    path("captcha/", public_views.captcha_image, name="captcha-image"),
    path("captcha/new/", public_views.captcha_refresh, name="captcha-refresh"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.collection_create, name="collection-create"),
    path("manage/<int:pk>/edit/", views.collection_edit, name="collection-edit"),
    path("manage/submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("manage/submissions/<int:pk>/accept/", views.submission_accept, name="submission-accept"),
    path("manage/submissions/<int:pk>/return/", views.submission_return, name="submission-return"),
    path("manage/submissions/<int:pk>/reject/", views.submission_reject, name="submission-reject"),
]
