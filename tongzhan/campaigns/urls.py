from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("new/", views.campaign_create, name="campaign-create"),
    path("<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("<int:pk>/close/", views.campaign_close, name="campaign-close"),
    path("returns/<int:pk>/", views.return_detail, name="return-detail"),
    path("returns/<int:pk>/check/", views.return_check, name="return-check"),
    path("returns/<int:pk>/add/", views.return_add, name="return-add"),
    path("returns/<int:pk>/withdraw/", views.return_withdraw, name="return-withdraw"),
    path("returns/<int:pk>/submit/", views.return_submit, name="return-submit"),
    path("returns/<int:pk>/sheet/", views.return_sheet, name="return-sheet"),
    path("returns/<int:pk>/upload/", views.return_upload, name="return-upload"),
    path("returns/<int:pk>/accept/", views.return_accept, name="return-accept"),
    path("returns/<int:pk>/send-back/", views.return_send_back, name="return-send-back"),
]
