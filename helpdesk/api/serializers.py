"""Shapes in and out. Input serializers check types and sizes only (the workflows actions own
every rule); output serializers decide what each scope may read. The customer-facing ones are
allow-lists: a field reaches a customer only if it is named here."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.models import DepartmentTask, Event, Message, Priority, Request
from helpdesk.selectors import tasks_of
from helpdesk.templatetags.nucleus import new_status_words, public_name, staff_name, status_words
from workflows import permissions
from workflows.log import allowed_actions

MAX_ID = 2**63 - 1  # larger ids would overflow the database's integer, not just miss a row


def id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def text_field(**kwargs):
    # Blank is let through on purpose: the action's own check gives the one clear message.
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class StrictSerializer(serializers.Serializer):
    """Unknown fields are refused rather than ignored: a typo or a smuggled key (a customer id
    in a customer token's body) is an error, never silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


# In -------------------------------------------------------------------------------------


class CustomerRequestIn(StrictSerializer):
    subject = text_field()
    body = text_field()
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)


class StaffRequestIn(CustomerRequestIn):
    customer = id_field(required=False, help_text="The customer's id (or give customer_email).")
    customer_email = serializers.EmailField(required=False)
    department = id_field(required=False, help_text="Default: your first department.")


class VersionedIn(StrictSerializer):
    expected_seq = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="The request's last_event_seq you acted on; a newer one gives a 409.",
    )


class ReplyIn(VersionedIn):
    body = text_field()


class NoteIn(StrictSerializer):
    body = text_field()


class HandOffIn(VersionedIn):
    department = id_field()
    instructions = text_field()
    due_at = serializers.DateTimeField(required=False, allow_null=True)


class ReopenIn(VersionedIn):
    reason = text_field(required=False, default="")


class AnswerIn(StrictSerializer):
    answer = text_field()


class ReasonIn(StrictSerializer):
    reason = text_field()


class FactIn(StrictSerializer):
    source = serializers.CharField(max_length=32)
    external_id = serializers.CharField(max_length=128)
    kind = serializers.CharField(max_length=32)
    label = serializers.CharField(max_length=200)
    value = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    link = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")
    observed_at = serializers.DateTimeField()
    customer = id_field(required=False)
    customer_email = serializers.EmailField(required=False)
    organisation = id_field(required=False)


# Out: staff ------------------------------------------------------------------------------


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return staff_name(user)


class NamedOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CustomerOut(NamedOut):
    email = serializers.EmailField()


class TaskOut(serializers.ModelSerializer):
    department = NamedOut()
    assignee = PersonOut(allow_null=True)

    class Meta:
        model = DepartmentTask
        fields = [
            "id",
            "department",
            "status",
            "instructions",
            "due_at",
            "assignee",
            "answer",
            "created_at",
            "finished_at",
        ]


class StaffRequestOut(serializers.ModelSerializer):
    department = NamedOut()
    assignee = PersonOut(allow_null=True)
    customer = CustomerOut()

    class Meta:
        model = Request
        fields = [
            "id",
            "subject",
            "body",
            "status",
            "priority",
            "channel",
            "escalation_level",
            "department",
            "assignee",
            "customer",
            "last_event_seq",
            "created_at",
            "updated_at",
            "resolved_at",
        ]


class StaffRequestDetailOut(StaffRequestOut):
    tasks = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(StaffRequestOut.Meta):
        fields = [*StaffRequestOut.Meta.fields, "tasks", "allowed_actions"]

    @extend_schema_field(TaskOut(many=True))
    def get_tasks(self, request):
        return TaskOut(tasks_of(request), many=True).data

    def get_allowed_actions(self, request) -> list[str]:
        user = self.context["user"]
        return allowed_actions(request) if permissions.can_work_request(user, request) else []


class MessageOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "kind", "body", "is_markdown", "author", "created_at"]

    def get_author(self, message) -> str:
        if message.author_customer is not None:
            return message.author_customer.name
        return staff_name(message.author_user)


class StaffEventOut(serializers.ModelSerializer):
    request_id = serializers.IntegerField()
    actor = PersonOut(allow_null=True)
    message = MessageOut(allow_null=True)
    task = TaskOut(allow_null=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "request_id",
            "seq",
            "type",
            "visibility",
            "actor",
            "payload",
            "message",
            "task",
            "created_at",
        ]


# Out: customer (allow-lists) ---------------------------------------------------------------


def open_department_names(request):
    return sorted({task.department.name for task in request.open_tasks})


class CustomerRequestOut(serializers.ModelSerializer):
    status_text = serializers.SerializerMethodField()

    class Meta:
        model = Request
        fields = ["id", "subject", "body", "status", "status_text", "channel", "created_at"]

    def get_status_text(self, request) -> str:
        return status_words(request.status, open_department_names(request))


class PublicMessageOut(serializers.Serializer):
    body = serializers.CharField()
    is_markdown = serializers.BooleanField()
    author = serializers.SerializerMethodField()
    from_customer = serializers.SerializerMethodField()

    def get_author(self, message) -> str:
        if message.author_customer is not None:
            return message.author_customer.name
        return public_name(message.author_user)

    def get_from_customer(self, message) -> bool:
        return message.author_customer is not None


class PublicEventOut(serializers.Serializer):
    """What the status page shows of one event, and nothing more."""

    request_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    type = serializers.CharField()
    created_at = serializers.DateTimeField()
    message = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    status_text = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField()

    @extend_schema_field(PublicMessageOut(allow_null=True))
    def get_message(self, event):
        message = getattr(event, "message", None)
        if message is None or not message.is_public:
            return None
        return PublicMessageOut(message).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_status(self, event):
        return event.payload.get("new") if event.type == "status_changed" else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_status_text(self, event):
        return new_status_words(event.payload) if event.type == "status_changed" else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_subject(self, event):
        return event.payload.get("subject") if event.type == "request_opened" else None


# Out: envelopes ------------------------------------------------------------------------------


class StaffRequestPage(serializers.Serializer):
    results = StaffRequestOut(many=True)
    next_cursor = serializers.CharField()


class CustomerRequestPage(serializers.Serializer):
    results = CustomerRequestOut(many=True)
    next_cursor = serializers.CharField()


class EventPage(serializers.Serializer):
    results = StaffEventOut(many=True, help_text="Customer tokens get PublicEventOut items.")
    next_after = serializers.IntegerField()


class FactOut(serializers.Serializer):
    id = serializers.IntegerField()
    created = serializers.BooleanField()


class ErrorOut(serializers.Serializer):
    error = serializers.CharField()
    state = serializers.CharField(required=False)
    allowed = serializers.ListField(child=serializers.CharField(), required=False)
