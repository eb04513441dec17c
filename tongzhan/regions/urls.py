from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("", views.region_list, name="region-list"),
    path("new/", views.region_create, name="region-create"),
    path("import/", views.region_import, name="region-import"),
    path("<int:pk>/rename/", views.region_rename, name="region-rename"),
    path("<int:pk>/move/", views.region_move, name="region-move"),
    path("<int:pk>/retire/", views.region_retire, name="region-retire"),
]
