"""Django admin: configure departments, staff and customers; inspect requests and their log.

Requests, messages, tasks and events are written by workflows actions only, so their
workflow-owned fields are read-only here and nothing of theirs can be added by hand: an edit
in the admin would change a request without writing its event.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.db.models import Count

from helpdesk import timeline
from helpdesk.models import (
    ContextFact,
    Customer,
    Department,
    DepartmentTask,
    Event,
    Goal,
    Message,
    Organisation,
    Request,
    StaffMembership,
)

User = get_user_model()


# Inlines ------------------------------------------------------------------------------


class MembershipOfDepartmentInline(admin.TabularInline):
    model = StaffMembership
    fk_name = "department"
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name_plural = "Staff"


class MembershipOfUserInline(admin.TabularInline):
    model = StaffMembership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["department"]
    verbose_name_plural = "Departments and roles"


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0
    fields = ["text", "status"]


# Facts arrive from other systems over HTTPS; say so before Django 6 makes it the default.
LINKS_ARE_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class FactInline(admin.TabularInline):
    model = ContextFact
    extra = 0
    formfield_overrides = LINKS_ARE_HTTPS
    fields = ["source", "external_id", "kind", "label", "value", "link", "observed_at"]


class CustomerInline(admin.TabularInline):
    model = Customer
    extra = 0
    fields = ["name", "email"]
    show_change_link = True


class ReadOnlyInline(admin.TabularInline):
    """Rows an action wrote: shown for context, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "kind", "author_user", "author_customer", "body"]


class TaskInline(ReadOnlyInline):
    model = DepartmentTask
    fields = ["department", "status", "assignee", "due_at", "instructions", "answer"]


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["seq", "created_at", "type", "visibility", "actor", "payload"]
    show_change_link = False


# Configuration ---------------------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description", "staff_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipOfDepartmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(staff_count=Count("memberships"))

    @admin.display(description="Staff", ordering="staff_count")
    def staff_count(self, obj):
        return obj.staff_count


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["user", "department"]
    list_select_related = ["user", "department"]


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Django's user admin plus the departments and roles a user works in."""

    inlines = [*UserAdmin.inlines, MembershipOfUserInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "customer_count"]
    list_filter = ["tier"]
    search_fields = ["name"]
    inlines = [CustomerInline, GoalInline, FactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_count=Count("customers"))

    @admin.display(description="Customers", ordering="customer_count")
    def customer_count(self, obj):
        return obj.customer_count


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "organisation"]
    list_filter = ["organisation__tier", "organisation"]
    search_fields = ["name", "email", "organisation__name"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    inlines = [GoalInline, FactInline]


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["text", "status", "customer", "organisation", "created_at"]
    list_filter = ["status"]
    search_fields = ["text", "customer__name", "organisation__name"]
    autocomplete_fields = ["customer", "organisation"]
    list_select_related = ["customer", "organisation"]


@admin.register(ContextFact)
class ContextFactAdmin(admin.ModelAdmin):
    list_display = ["label", "value", "source", "kind", "customer", "organisation", "observed_at"]
    list_filter = ["source", "kind"]
    search_fields = ["label", "value", "external_id", "customer__name", "organisation__name"]
    autocomplete_fields = ["customer", "organisation"]
    list_select_related = ["customer", "organisation"]
    date_hierarchy = "observed_at"
    formfield_overrides = LINKS_ARE_HTTPS


# Workflow records ---------------------------------------------------------------------------


class ActionWrittenAdmin(admin.ModelAdmin):
    """Rows that only workflows actions create; deleting one would tear a hole in a log.
    What little can be corrected here (a description, a task's instructions) shows in the
    timelines, which are kept rendered: a correction renders them afresh."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        timeline.details_corrected()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(ActionWrittenAdmin):
    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(ActionWrittenAdmin):
    """Subject, description and channel can be corrected; the rest moves through actions."""

    list_display = [
        "id",
        "subject",
        "customer",
        "department",
        "status",
        "priority",
        "escalation_level",
        "assignee",
        "updated_at",
    ]
    list_display_links = ["id", "subject"]
    list_filter = ["status", "department", "priority", "escalation_level", "channel"]
    search_fields = ["subject"]
    list_select_related = ["customer", "department", "assignee"]
    date_hierarchy = "created_at"
    fields = [
        "subject",
        "body",
        "channel",
        "customer",
        "department",
        "assignee",
        "priority",
        "status",
        "escalation_level",
        "last_event_seq",
        "public_token",
        "created_at",
        "updated_at",
        "resolved_at",
    ]
    readonly_fields = [f for f in fields if f not in ("subject", "body", "channel")]
    inlines = [MessageInline, TaskInline, EventInline]


@admin.register(Message)
class MessageAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "kind", "author_user", "author_customer", "created_at"]
    list_filter = ["kind"]
    search_fields = ["body", "request__subject"]
    list_select_related = ["request", "author_user", "author_customer"]


@admin.register(DepartmentTask)
class DepartmentTaskAdmin(ActionWrittenAdmin):
    """Instructions can be clarified; status, assignee and answer move through actions."""

    list_display = ["__str__", "request", "department", "status", "assignee", "due_at"]
    list_filter = ["status", "department"]
    search_fields = ["instructions", "answer", "request__subject"]
    list_select_related = ["request", "department", "assignee"]
    fields = [
        "request",
        "department",
        "instructions",
        "status",
        "assignee",
        "due_at",
        "answer",
        "created_by",
        "created_at",
        "updated_at",
        "finished_at",
    ]
    readonly_fields = [f for f in fields if f != "instructions"]


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    """The append-only log: view only."""

    list_display = ["__str__", "type", "visibility", "actor", "created_at", "published_at"]
    list_filter = ["type", "visibility"]
    search_fields = ["type", "request__subject"]
    list_select_related = ["request", "actor"]
