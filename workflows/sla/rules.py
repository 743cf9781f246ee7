"""What applies to a clock: the policy that sets its target, the ladder steps that follow it, and
the calendar it counts in. One Rules object serves a batch of clocks (a hook call, a sweep pass,
a recompute), so each table is read once per batch and never once per row."""

from functools import cached_property

from helpdesk.models import Customer
from workflows import config
from workflows.models import EscalationStep
from workflows.sla.calendars import schedules_for


class Rules:
    def __init__(self, config=None):
        self._config = config  # workflows.config.Config; read when needed if not given
        self._schedules = {}
        self._steps = {}
        self._tiers = {}

    @cached_property
    def policies(self):
        return (self._config or config.current()).policies

    def _tier(self, request):
        if request.customer_id not in self._tiers:
            self._tiers[request.customer_id] = (
                Customer.objects.filter(pk=request.customer_id)
                .values_list("organisation__tier", flat=True)
                .first()
            )
        return self._tiers[request.customer_id]

    def policy(self, request, department_id, metric):
        """The first active policy, by position, that matches and has a target for `metric`."""
        for policy in self.policies:
            if (
                policy.target(metric) is not None
                and policy.priority in (None, request.priority)
                and policy.channel in ("", request.channel)
                and policy.department_id in (None, department_id)
                and (not policy.tier or policy.tier == self._tier(request))
            ):
                return policy
        return None

    def schedule(self, department_id):
        if department_id not in self._schedules:
            self._schedules.update(schedules_for([department_id]))
        return self._schedules[department_id]

    def preload_schedules(self, department_ids):
        missing = set(department_ids) - set(self._schedules)
        self._schedules.update(schedules_for(missing))

    def steps(self, policy, metric):
        """The ladder steps that apply to `metric`, in trigger order for any target."""
        if policy is None or policy.ladder_id is None:
            return []
        if policy.ladder_id not in self._steps:
            self._steps[policy.ladder_id] = list(
                EscalationStep.objects.filter(ladder_id=policy.ladder_id)
            )
        return [s for s in self._steps[policy.ladder_id] if s.applies_to(metric)]
