"""Figures and the report they end up in (bench/results/latest.json and latest.md).

Every part of the harness returns a list of figure dicts built by `figure()`:

    {name, value, unit, baseline, ratio, target, meets}

`baseline` is what the same quantity measured for the reference in the same run (a bare
websockets server, django-helpdesk...), `ratio` is value / baseline, `target` says in words
what the issue asks for, and `meets` whether this run holds it (None when there is no target).
A figure may carry a `detail` string (an EXPLAIN plan, a note) that the Markdown shows below
the table. Ratios matter more than absolute times: the machine is shared and noisy.
"""

import json
import operator
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FIGURE_KEYS = ("name", "value", "unit", "baseline", "ratio", "target", "meets")

_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def figure(name, value, unit, *, baseline=None, target=None, of="value", detail=None):
    """One measured number.

    target is (op, limit), e.g. ("<", 50); `of="ratio"` applies it to value / baseline
    instead of the value (e.g. latency within 2x of the bare server: ("<=", 2), of="ratio").
    """
    ratio = None
    if value is not None and baseline:
        ratio = round(value / baseline, 3)
    meets = None
    target_text = None
    if target is not None:
        op, limit = target
        subject = ratio if of == "ratio" else value
        meets = None if subject is None else bool(_OPERATORS[op](subject, limit))
        target_text = f"ratio {op} {limit}x" if of == "ratio" else f"{op} {limit} {unit}"
    result = {
        "name": name,
        "value": _rounded(value),
        "unit": unit,
        "baseline": _rounded(baseline),
        "ratio": ratio,
        "target": target_text,
        "meets": meets,
    }
    if detail:
        result["detail"] = detail
    return result


def _rounded(number):
    if isinstance(number, float):
        return round(number, 3 if abs(number) < 100 else 1)
    return number


def validate(figures):
    """Refuse a figure missing one of the keys, so a broken part fails loudly."""
    for fig in figures:
        missing = [key for key in FIGURE_KEYS if key not in fig]
        if missing:
            raise ValueError(f"figure {fig.get('name')!r} lacks {', '.join(missing)}")
    return figures


def build(sections, *, smoke, meta=None):
    """The report as a dict: run metadata, then each section's figures in order."""
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "generated_at": generated_at,
        "smoke": smoke,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "meta": meta or {},
        "sections": [
            {
                "name": name,
                "status": status,
                "measured_at": generated_at,
                "figures": validate(list(figs)),
            }
            for name, status, figs in sections
        ],
    }


def carry_over(report, previous, order):
    """Sections this run did not measure (`--only`) keep the previous report's figures, each
    marked with when it was measured: one part can be measured again without losing the rest.
    `order` is every section name in report order."""
    fresh = {section["name"]: section for section in report["sections"]}
    kept = {
        section["name"]: {"measured_at": previous["generated_at"], **section}
        for section in previous.get("sections", ())
    }
    report["sections"] = [fresh.get(name) or kept[name] for name in order if name in fresh | kept]
    return report


def load(stem, directory=RESULTS_DIR):
    """A report written earlier, or None."""
    path = directory / f"{stem}.json"
    return json.loads(path.read_text()) if path.exists() else None


def write(report, *, stem, directory=RESULTS_DIR):
    """Write <stem>.json and <stem>.md (under bench/results/); return both paths."""
    directory.mkdir(exist_ok=True)
    json_path = directory / f"{stem}.json"
    md_path = directory / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(markdown(report))
    return json_path, md_path


def markdown(report):
    """The report as Markdown: one table per section, then the details (plans, notes)."""
    machine = report["machine"]
    blocks = [
        f"# Nucleus benchmark{' (smoke)' if report['smoke'] else ''}",
        f"Generated {report['generated_at']} on {machine['cpus']} CPUs, "
        f"Python {machine['python']}.",
        "\n".join(f"- {key}: {value}" for key, value in report["meta"].items()),
    ]
    details = []
    for section in report["sections"]:
        blocks.append(f"## {section['name']}")
        measured_at = section.get("measured_at", report["generated_at"])
        if measured_at != report["generated_at"]:
            blocks.append(f"_Carried over from the run of {measured_at}._")
        if section["status"] != "ok":
            blocks.append(f"_{section['status']}_")
        if section["figures"]:
            blocks.append("\n".join(_table(section["figures"])))
        details += [(f["name"], f["detail"]) for f in section["figures"] if f.get("detail")]
    for name, detail in details:
        blocks += [f"### {name}", f"```\n{detail.rstrip()}\n```"]
    return "\n\n".join(block for block in blocks if block) + "\n"


def _table(figures):
    yield "| Figure | Value | Baseline | Ratio | Target | Meets |"
    yield "|---|---:|---:|---:|---|:-:|"
    for fig in figures:
        yield (
            f"| {fig['name']} | {_cell(fig['value'], fig['unit'])} "
            f"| {_cell(fig['baseline'], fig['unit'])} | {_cell(fig['ratio'], 'x', sep='')} "
            f"| {fig['target'] or ''} | {_MEETS[fig['meets']]} |"
        )


_MEETS = {True: "yes", False: "**no**", None: ""}


def _cell(number, unit, sep=" "):
    if number is None:
        return ""
    if isinstance(number, int) or abs(number) >= 100:
        text = f"{number:,.0f}"
    elif abs(number) >= 10:
        text = f"{number:.1f}"
    else:
        text = f"{number:.3g}"
    return f"{text}{sep}{unit}"
