"""`python -m bench.soak.producer PLAN.json RESULT.json`: the soak's steady stream of workflow
actions, in a process of its own as a web or job worker would be.

It runs bench.actions' cycle (an internal note, a hand-off to finance, finance completing
the task, a public reply, the customer answering: valid whatever came before) round-robin
over the soak's requests at a fixed rate, and writes every committed action (its request,
the newest seq it wrote, its commit time on CLOCK_MONOTONIC, which every process on the
machine shares) and every error to RESULT.json.
"""

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import django

from bench.fanout.serve import exit_when_orphaned


def act(worker, index):
    """One action; [request id, newest seq, commit time, action name]."""
    from django.db import transaction

    from helpdesk.models import Request

    request_id = worker.requests[index % len(worker.requests)][0]
    committed = []
    with transaction.atomic():
        # Registered first, so it runs at the commit, before the action's publish.
        transaction.on_commit(lambda: committed.append(time.monotonic()))
        step = worker.act(index)
        seq = Request.objects.values_list("last_event_seq", flat=True).get(pk=request_id)
    return [request_id, seq, committed[0], step]


def main(plan_path, result_path):
    plan = json.loads(Path(plan_path).read_text())
    exit_when_orphaned(plan["seconds"] + 120)
    django.setup()
    from django.contrib.auth.models import User

    from bench.actions import Worker
    from helpdesk.models import Customer, Department
    from realtime.publisher import mark_published

    desk = SimpleNamespace(
        agent=User.objects.get(pk=plan["agent"]),
        clerk=User.objects.get(pk=plan["clerk"]),
        finance=Department.objects.get(pk=plan["finance"]),
    )
    customers = Customer.objects.in_bulk({customer for _, customer in plan["requests"]})
    requests = [(pk, customers[customer]) for pk, customer in plan["requests"]]
    worker = Worker(desk, requests, {"position": {}, "task_of": {}})
    interval = 1 / plan["rate"]
    committed, errors = [], []
    started = time.monotonic()
    index = 0
    while (due := started + index * interval) < started + plan["seconds"]:
        time.sleep(max(0.0, due - time.monotonic()))
        try:
            committed.append(act(worker, index))
        except Exception as error:  # counted and reported; the stream goes on
            errors.append(f"{type(error).__name__}: {error}")
        index += 1
    ended = time.monotonic()
    mark_published()  # or the servers' relays would publish the last ones again
    result = {"started": started, "ended": ended, "committed": committed, "errors": errors}
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
