"""Admin for SLA configuration (calendars, policies, ladders) and a read-only view of the clocks.

Clocks, fired steps and notifications are written by the engine only; editing one by hand
would desynchronise it from the event log, so they are read-only here.
"""

from django.contrib import admin

from workflows.models import (
    BusinessCalendar,
    Clock,
    ClosureDate,
    EscalationLadder,
    EscalationStep,
    FiredStep,
    Notification,
    SLAPolicy,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class ClosureDateInline(admin.TabularInline):
    model = ClosureDate
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "time_zone", "country", "subdivision"]
    list_select_related = ["department"]
    inlines = [WorkingHoursInline, ClosureDateInline]


class EscalationStepInline(admin.StackedInline):
    model = EscalationStep
    extra = 0
    autocomplete_fields = ["notify_users", "reassign_to"]
    fieldsets = [
        ("When", {"fields": [("metric", "percent", "after_breach")]}),
        ("What", {"fields": [("set_level", "raise_priority"), "reassign_to"]}),
        ("Who hears of it", {"fields": ["notify", "notify_users"]}),
    ]


@admin.register(EscalationLadder)
class EscalationLadderAdmin(admin.ModelAdmin):
    list_display = ["name", "step_list"]
    inlines = [EscalationStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps__reassign_to")

    @admin.display(description="Steps")
    def step_list(self, ladder):
        return "; ".join(str(step) for step in ladder.steps.all())


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "position",
        "active",
        "priority",
        "tier",
        "channel",
        "department",
        "first_response",
        "next_response",
        "resolution",
        "answer",
        "ladder",
    ]
    list_editable = ["position", "active"]
    list_filter = ["active", "priority", "tier", "channel", "department"]
    list_select_related = ["department", "ladder"]
    fieldsets = [
        (None, {"fields": ["name", "position", "active"]}),
        ("Applies to (empty: any)", {"fields": [("priority", "tier", "channel", "department")]}),
        (
            "Targets in business time",
            {"fields": [("first_response", "next_response", "resolution", "answer")]},
        ),
        ("Warning and escalation", {"fields": ["warn_percent", "ladder"]}),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdmin):
    list_display = [
        "request",
        "task",
        "metric",
        "state",
        "department",
        "target",
        "due_at",
        "next_step_at",
        "breached_at",
    ]
    list_filter = ["state", "metric", "department"]
    list_select_related = ["request", "task__department", "department"]
    raw_id_fields = ["request", "task"]
    date_hierarchy = "started_at"


@admin.register(FiredStep)
class FiredStepAdmin(ReadOnlyAdmin):
    list_display = ["clock", "step", "due_at", "fired_at"]
    list_select_related = ["clock__request", "clock__task__department", "step"]
    raw_id_fields = ["clock"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "text", "read", "created_at"]
    list_filter = ["read"]
    list_select_related = ["user"]
    raw_id_fields = ["request"]
