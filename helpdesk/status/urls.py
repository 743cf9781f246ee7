from django.urls import path

from helpdesk.status import views

app_name = "status"
urlpatterns = [
    path("<str:token>/", views.status_page, name="page"),
    path("<str:token>/history/", views.history, name="history"),
    path("<str:token>/reply/", views.reply, name="reply"),
    path("<str:token>/reply-form/", views.reply_form, name="reply_form"),
]
