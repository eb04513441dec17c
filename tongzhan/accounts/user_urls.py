from django.urls import path

from . import user_views as views

app_name = "users"
urlpatterns = [
    path("", views.user_list, name="user-list"),
    path("new/", views.user_create, name="user-create"),
    path("<int:pk>/", views.user_detail, name="user-detail"),
    path("<int:pk>/role/", views.user_role, name="user-role"),
    path("<int:pk>/password/", views.user_password, name="user-password"),
    path("<int:pk>/activation/", views.user_activation, name="user-activation"),
    path("<int:pk>/sessions/end/", views.user_sessions_end, name="user-sessions-end"),
]
