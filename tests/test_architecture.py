"""Guards on the shape of the code: nothing changes a request's state outside workflows."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_WORKFLOWS = ["helpdesk", "realtime"]
STATEFUL = re.compile(r"\b(Request|DepartmentTask)\b|\.(tasks|requests)\b|\bstatus\b|escalation")


def python_files():
    for folder in OUTSIDE_WORKFLOWS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_bulk_state_changes_outside_workflows():
    offenders = []
    for path in python_files():
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"update", "bulk_update", "update_or_create", "raw"}
            ):
                segment = ast.get_source_segment(source, node) or ""
                if STATEFUL.search(segment):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {segment[:80]}")
    assert offenders == []


def test_the_guard_catches_a_bulk_status_update(tmp_path):
    source = 'Request.objects.filter(pk=1).update(status="closed")'
    call = ast.parse(source).body[0].value
    assert call.func.attr == "update"
    assert STATEFUL.search(ast.get_source_segment(source, call))
