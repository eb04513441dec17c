from django.urls import path

from . import export_views, views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="person-list"),
    path("new/", views.person_create, name="person-create"),
    path("stale/", views.stale_list, name="stale-list"),
    path("saved/", views.saved_search_save, name="saved-search-save"),
    path("saved/<int:pk>/", views.saved_search_open, name="saved-search-open"),
    path("export/", export_views.export_start, name="export"),
    path("export/templates/", export_views.export_templates, name="export-templates"),
    path("export/requests/<int:pk>/", export_views.export_request_detail, name="export-request"),
    path("export/requests/<int:pk>/decide/", export_views.export_request_decide, name="export-decide"),
    path("export/requests/<int:pk>/download/", export_views.export_request_download, name="export-download"),
    path("<int:pk>/", views.person_detail, name="person-detail"),
    path("<int:pk>/unmask/", views.person_unmask, name="person-unmask"),
    path("<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("<int:pk>/verify/", views.person_verify, name="person-verify"),
    path("<int:pk>/delete/", views.person_delete, name="person-delete"),
    path("<int:pk>/categories/add/", views.membership_add, name="membership-add"),
    path("memberships/<int:pk>/edit/", views.membership_edit, name="membership-edit"),
    path("memberships/<int:pk>/leave/", views.membership_leave, name="membership-leave"),
    path("<int:pk>/<str:kind>/add/", views.subrecord_add, name="subrecord-add"),
    path("records/<str:kind>/<int:record_pk>/edit/", views.subrecord_edit, name="subrecord-edit"),
    path("records/<str:kind>/<int:record_pk>/delete/", views.subrecord_delete, name="subrecord-delete"),
]
