from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from helpdesk.auth_views import LoginView, PasswordResetView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:queue"), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<str:uidb64>/<str:token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("console/", include("helpdesk.console.urls")),
    path("inbox/", include("helpdesk.inbox.urls")),
    path("", include("helpdesk.mail.urls")),  # before status/: owns /status/resend/
    path("status/", include("helpdesk.status.urls")),
    path("api/", include("helpdesk.api.urls")),
]
