from datetime import timedelta

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from helpdesk.api import tokens
from helpdesk.api.models import ApiToken, IdempotencyRecord


def show_secret_once(request, *, what, owner, secret, back):
    """The one page that ever shows a secret; it is never put in messages or the session (the
    admin's views already send it with Cache-Control: no-store)."""
    return TemplateResponse(
        request,
        "api/secret_once.html",
        {"what": what, "owner": owner, "secret": secret, "back": back, "title": what},
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("hint", "name", "scope", "user", "customer", "expires_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "hint", "user__username", "customer__email")
    raw_id_fields = ("user", "customer")
    readonly_fields = ("hint", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_tokens"]

    def get_changeform_initial_data(self, request):
        return {"expires_at": timezone.now() + timedelta(days=tokens.DEFAULT_DAYS)}

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # A token's owner and scope never change: issue a new one instead.
        return (*self.readonly_fields, "scope", "user", "customer")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        days = max(1, (obj.expires_at - timezone.now()).days)
        token, secret = tokens.issue_token(
            scope=obj.scope, user=obj.user, customer=obj.customer, days=days, name=obj.name
        )
        obj.pk, obj._secret = token.pk, secret
        obj.refresh_from_db()  # the admin logs and shows the token as stored

    def response_add(self, request, obj, post_url_continue=None):
        return show_secret_once(
            request,
            what="API token created",
            owner=obj.user or obj.customer,
            secret=obj._secret,
            back=reverse("admin:api_apitoken_changelist"),
        )

    @admin.action(description="Revoke the selected tokens now")
    def revoke_tokens(self, request, queryset):
        self.message_user(request, f"Revoked {tokens.revoke(queryset)} token(s).")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("key", "method", "path", "status_code", "created_at")
    readonly_fields = [f.name for f in IdempotencyRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
