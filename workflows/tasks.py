"""Background work on django-tasks (database backend): the SLA sweep and clock recomputes.

`sweep_sla` schedules its own next run before it does anything, so a pass that crashes never
breaks the chain; `ensure_sweep_scheduled()` (called when the server starts its worker) starts
the chain if nothing is pending. Any number of `manage.py db_worker` processes can run: the
sweep itself is safe to run concurrently (see workflows.sla.engine).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from workflows.sla import engine
from workflows.sla.clocks import retarget_open_clocks

SWEEP_EVERY = timedelta(seconds=10)
KEEP_FINISHED_SWEEPS = timedelta(hours=1)


def _pending(task_obj):
    return DBTaskResult.objects.filter(
        task_path=task_obj.module_path, status=TaskResultStatus.READY
    )


@task()
def sweep_sla():
    """One sweep pass; returns what it did, for the task result."""
    now = timezone.now()
    if not _pending(sweep_sla).exists():
        sweep_sla.using(run_after=now + SWEEP_EVERY).enqueue()
    # One row per pass would pile up: keep an hour of history.
    DBTaskResult.objects.filter(
        task_path=sweep_sla.module_path,
        status=TaskResultStatus.SUCCESSFUL,
        finished_at__lt=now - KEEP_FINISHED_SWEEPS,
    ).delete()
    looked_at, fired = engine.sweep(now=now)
    if looked_at >= engine.BATCH:
        sweep_sla.enqueue()  # more is due than one pass takes: go on at once
    return {"clocks": looked_at, "fired": fired}


def ensure_sweep_scheduled():
    """Idempotent: enqueue a sweep now unless one is already waiting."""
    if not _pending(sweep_sla).exists():
        sweep_sla.enqueue()


@task()
def recompute_clocks(department_ids=None):
    """Recompute open clocks (of these departments, or all) after a configuration change."""
    return {"requests": retarget_open_clocks(department_ids)}


def request_recompute(department_ids=None):
    """After commit, enqueue a recompute unless a pending one already covers it (an admin save
    of a calendar with its inline hours fires several signals for one change)."""

    def enqueue():
        wanted = None if department_ids is None else sorted(set(department_ids))
        for args_kwargs in _pending(recompute_clocks).values_list("args_kwargs", flat=True):
            pending = args_kwargs["kwargs"].get("department_ids")
            if pending is None or (wanted is not None and set(wanted) <= set(pending)):
                return
        recompute_clocks.enqueue(department_ids=wanted)

    transaction.on_commit(enqueue)
