"""Who may see and do what. Every action and every live subscription asks here."""

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.db.models.lookups import IsNull

from helpdesk.models import Customer, DepartmentTask, Request, StaffMembership
from workflows.states import ACTIVE_TASK_STATES

Role = StaffMembership.Role
CONSOLE_ROLES = {Role.AGENT, Role.LEAD, Role.ADMIN}
LEAD_ROLES = {Role.LEAD, Role.ADMIN}


def roles_by_department(user):
    """{department_id: role}, cached on the user object for the length of a request."""
    if not user or not user.is_authenticated:
        return {}
    cached = getattr(user, "_nucleus_roles", None)
    if cached is None:
        cached = dict(
            StaffMembership.objects.filter(user=user).values_list("department_id", "role")
        )
        user._nucleus_roles = cached
    return cached


def is_admin(user):
    return bool(user and user.is_authenticated and user.is_superuser) or (
        Role.ADMIN in roles_by_department(user).values()
    )


def is_staff_member(user):
    return is_admin(user) or bool(roles_by_department(user))


def uses_console(user):
    """Agents, leads and admins work requests; back-office staff work tasks in the inbox."""
    return is_admin(user) or bool(CONSOLE_ROLES & set(roles_by_department(user).values()))


def department_ids(user):
    return set(roles_by_department(user))


def visible_requests(user):
    """Requests a user may open: their departments' own, and those with a task for them."""
    if is_admin(user):
        return Request.objects.all()
    depts = department_ids(user)
    return Request.objects.filter(
        Q(department_id__in=depts)
        | Q(pk__in=DepartmentTask.objects.filter(department_id__in=depts).values("request_id"))
    )


# The columns staff_name reads: a list that names people loads only these.
STAFF_NAME_FIELDS = ("username", "first_name", "last_name")


def staff_name(user):
    """How the app names a colleague: full name, else username."""
    return user.get_full_name() or user.username


def may_open(user):
    """A boolean expression over requests: may `user` open each one (visible_requests() as a
    column), for a list that links the ones the reader may open without a lookup per row.
    The handed-over test is a scalar subquery on purpose: PostgreSQL turns an EXISTS into a
    hash of every task of the user's departments, when a list of ten needs ten lookups."""
    if is_admin(user):
        return Value(True)
    depts = department_ids(user)
    if not depts:
        return Value(False)
    handed = DepartmentTask.objects.filter(request=OuterRef("pk"), department_id__in=depts)
    return ExpressionWrapper(
        Q(department_id__in=depts) | IsNull(Subquery(handed.order_by().values("pk")[:1]), False),
        output_field=BooleanField(),
    )


def can_view_request(user, request):
    if is_admin(user):
        return True
    depts = department_ids(user)
    if request.department_id in depts:
        return True
    return DepartmentTask.objects.filter(request=request, department_id__in=depts).exists()


def can_work_request(user, request):
    """Reply, assign, hand off, resolve: the owning department's agents, leads and admins."""
    if is_admin(user):
        return True
    return roles_by_department(user).get(request.department_id) in CONSOLE_ROLES


def can_lead_request(user, request):
    if is_admin(user):
        return True
    return roles_by_department(user).get(request.department_id) in LEAD_ROLES


def can_work_task(user, task):
    return is_admin(user) or task.department_id in department_ids(user)


def can_view_department(user, department_id):
    return is_admin(user) or department_id in department_ids(user)


def can_write_as_customer(customer, request):
    """The request's customer, or a colleague at the same organisation (copied on the thread)."""
    if not isinstance(customer, Customer):
        return False
    if customer.pk == request.customer_id:
        return True
    organisation_id = request.customer.organisation_id
    return organisation_id is not None and customer.organisation_id == organisation_id


def open_tasks(request):
    return request.tasks.filter(status__in=ACTIVE_TASK_STATES)
