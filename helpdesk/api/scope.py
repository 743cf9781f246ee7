"""What a token may see: a staff token exactly what its user sees on the web, a customer
token only its customer's own requests. Anything outside is "not found", never "forbidden",
so ids cannot be probed."""

from helpdesk.models import Customer, Department, Request
from helpdesk.selectors import requests_with_open_tasks
from workflows import permissions
from workflows.errors import InvalidInput, NotFound, NotPermitted


def visible_requests(token):
    if token.is_staff_scope:
        return permissions.visible_requests(token.user)
    return Request.objects.filter(customer_id=token.customer_id)


def request_or_404(token, pk):
    try:
        return (
            requests_with_open_tasks(visible_requests(token))
            .select_related("customer__organisation", "department", "assignee")
            .get(pk=pk)
        )
    except Request.DoesNotExist:
        raise NotFound("No such request.") from None


def require_staff(token, what):
    if not token.is_staff_scope:
        raise NotPermitted(f"Customer tokens cannot {what}.")


def department_for_new_request(user, department_id):
    """Staff open requests into a department they work in (admins: any). Another department's
    id is refused exactly like an unknown one, and nothing is written."""
    allowed = Department.objects.all()
    if not permissions.is_admin(user):
        console = {
            dept
            for dept, role in permissions.roles_by_department(user).items()
            if role in permissions.CONSOLE_ROLES
        }
        allowed = allowed.filter(pk__in=console)
    if department_id is None:
        department = allowed.order_by("pk").first()
    else:
        department = allowed.filter(pk=department_id).first()
    if department is None:
        raise InvalidInput("No such department, or not one you open requests in.")
    return department


def customer_named(customer_id=None, email=None):
    """The customer a staff token names by id or email; unknown ones are refused."""
    if (customer_id is None) == (not email):
        raise InvalidInput("Name the customer by id or by email (one of them).")
    lookup = {"pk": customer_id} if customer_id is not None else {"email__iexact": email}
    customer = Customer.objects.filter(**lookup).first()
    if customer is None:
        raise InvalidInput("No such customer.")
    return customer


def department_for_hand_off(department_id):
    """Any department can take a piece of a request: that is what a hand-off is for."""
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise InvalidInput("No such department.")
    return department
