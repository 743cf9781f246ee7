"""SLA clocks and escalation ladders.

business_time: pure business-time arithmetic. calendars and rules: what applies to a clock.
clocks: the hook that keeps clocks in step with workflow events. engine: the sweep that fires
milestones and ladder steps. selectors: badges and queues for the pages.
"""

from workflows.sla.clocks import on_change

__all__ = ["on_change"]
