"""`python -m bench` (make bench): the full run; `--smoke` (make bench-smoke): every part tiny.

One run generates the data, then measures each part side by side with its baseline, and
writes bench/results/latest.{json,md} (smoke: smoke.{json,md}, so CI never overwrites the
committed full results). A part that fails is reported as failed, the others still run, and
the exit status is 1. `--only` measures some parts again: the others' sections are carried
over from the report already written, each marked with when it was measured.
"""

import argparse
import importlib
import importlib.util
import sys
import time
import traceback

from bench import environment, report

# (--only key, section title, module)
PARTS = (
    ("pages", "Pages at scale", "bench.pages"),
    ("helpdesk", "Side by side with django-helpdesk 2.6.1", "bench.helpdesk_compare"),
    ("actions", "Workflow actions", "bench.actions"),
    ("fanout", "Live fan-out", "bench.fanout"),
    ("sla", "SLA sweep", "bench.sla_sweep"),
    ("soak", "Soak", "bench.soak"),
)
PART_KEYS = [key for key, _, _ in PARTS]


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny scale, for CI")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep the data set already in the bench database instead of generating it",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated parts to run ({', '.join(PART_KEYS)}); default all. The "
        "report keeps the other parts' figures from the last run, marked with their time",
    )
    args = parser.parse_args(argv)
    unknown = set(filter(None, args.only.split(","))) - set(PART_KEYS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    return args


def data_section(args):
    """Generate the data set (or count the one kept with --reuse-data) and describe it."""
    from bench import datagen

    if args.reuse_data:
        summary = datagen.count()
        status = "reused from an earlier run"
    else:
        scale = datagen.SMOKE if args.smoke else datagen.FULL
        summary = datagen.generate(scale, seed=args.seed, reset=True)
        status = "ok"
    figures = [
        report.figure(label, summary[key], "rows")
        for label, key in (
            ("Requests", "requests"),
            ("Events", "events"),
            ("Messages", "messages"),
            ("Department tasks", "tasks"),
            ("Customers", "customers"),
            ("Organisations", "organisations"),
        )
    ]
    statuses = ", ".join(f"{s} {n:,}" for s, n in summary["by_status"].items())
    figures[0]["detail"] = f"Requests by status: {statuses}"
    if "seconds" in summary:
        rows = sum(summary[key] for key in ("requests", "events", "messages", "tasks"))
        figures.append(report.figure("Generation time", summary["seconds"], "s"))
        figures.append(report.figure("Generation rate", rows / summary["seconds"], "rows/s"))
    return ("Data set", status, figures)


def run_part(title, module_name, smoke):
    """Import and run one part; a missing module is 'not built yet', an error is reported."""
    if importlib.util.find_spec(module_name) is None:
        print(f"{title}: not built yet")
        return (title, "not built yet", [])
    started = time.perf_counter()
    print(f"{title}: running")
    try:
        figures = importlib.import_module(module_name).run(smoke)
        report.validate(figures)
    except Exception as error:
        traceback.print_exc()
        return (title, f"failed: {type(error).__name__}: {error}", [])
    print(f"{title}: done in {time.perf_counter() - started:.0f} s")
    return (title, "ok", figures)


def main(argv=None):
    args = parse(argv)
    meta = environment.configure(args.smoke)
    selected = set(filter(None, args.only.split(","))) or set(PART_KEYS)
    sections = [data_section(args)]
    for key, title, module_name in PARTS:
        if key in selected:
            sections.append(run_part(title, module_name, args.smoke))
    result = report.build(sections, smoke=args.smoke, meta=meta)
    stem = "smoke" if args.smoke else "latest"
    previous = report.load(stem)
    if selected != set(PART_KEYS) and previous is not None:
        order = ["Data set", *(title for _, title, _ in PARTS)]
        result = report.carry_over(result, previous, order)
    paths = report.write(result, stem=stem)
    print(report.markdown(result))
    print("Written:", ", ".join(str(p) for p in paths))
    return 1 if any(s["status"].startswith("failed") for s in result["sections"]) else 0


if __name__ == "__main__":
    sys.exit(main())
