"""Time django-helpdesk's ticket list (its DataTables endpoint) and ticket pages.

Runs inside bench/.venv-helpdesk: `python measure.py '<json options>'`; prints JSON. The
timing code is bench/timing.py, the very file that times the Nucleus pages.
"""

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
django.setup()
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/, for timing.py

import timing  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from helpdesk.query import query_to_base64  # noqa: E402


def main(options):
    client = Client()
    client.force_login(User.objects.get(username=options["username"]))
    # What its ticket list asks for by default (open and reopened tickets, by creation
    # date), narrowed to the same queue the Nucleus console shows, newest first.
    query = {
        "filtering": {"status__in": [1, 2], "queue__id__in": [options["queue"]]},
        "sorting": "created",
        "sortreverse": True,
        "search_string": "",
    }
    list_url = reverse("helpdesk:datatables_ticket_list", args=[query_to_base64(query)])
    params = f"?draw=1&start=0&length={options['rows']}&order[0][column]=5&order[0][dir]=desc"
    runs = {"iterations": options["iterations"], "max_seconds": options["max_seconds"]}
    result = {"list": timing.time_get(client, list_url + params, **runs)}
    for name, ticket_id in options["tickets"].items():
        url = reverse("helpdesk:view", args=[ticket_id])
        result[name] = timing.time_get(client, url, **runs)
    print(json.dumps(result))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
