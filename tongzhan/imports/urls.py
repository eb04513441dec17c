from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.batch_list, name="batch-list"),
    path("<int:pk>/", views.batch_detail, name="batch-detail"),
    path("<int:pk>/mapping/", views.batch_mapping, name="batch-mapping"),
    path("<int:pk>/progress/", views.batch_progress, name="batch-progress"),
    path("<int:pk>/commit/", views.batch_commit, name="batch-commit"),
    path("<int:pk>/undo/", views.batch_undo, name="batch-undo"),
]
