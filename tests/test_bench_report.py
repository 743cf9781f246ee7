"""The bench report: measuring one part again keeps the others, marked with their time."""

from bench import report


def section_names(result):
    return [s["name"] for s in result["sections"]]


def test_a_partial_run_carries_the_other_sections_over(tmp_path):
    order = ["Data set", "Pages at scale", "Workflow actions", "Live fan-out"]
    full = report.build(
        [
            ("Data set", "ok", [report.figure("Requests", 100, "rows")]),
            ("Pages at scale", "ok", [report.figure("Queue p95", 60.0, "ms", target=("<", 50))]),
            ("Workflow actions", "ok", [report.figure("Actions per second", 200.0, "actions/s")]),
            ("Live fan-out", "ok", [report.figure("p50 ratio", 1.8, "x")]),
        ],
        smoke=False,
    )
    full["generated_at"] = "2026-12-01T23:41:00+00:00"
    for section in full["sections"]:
        section["measured_at"] = full["generated_at"]
    report.write(full, stem="latest", directory=tmp_path)

    partial = report.build(
        [
            ("Data set", "reused from an earlier run", []),
            ("Pages at scale", "ok", [report.figure("Queue p95", 40.0, "ms", target=("<", 50))]),
        ],
        smoke=False,
    )
    merged = report.carry_over(partial, report.load("latest", directory=tmp_path), order)

    assert section_names(merged) == order
    by_name = {s["name"]: s for s in merged["sections"]}
    assert by_name["Pages at scale"]["figures"][0]["value"] == 40.0
    assert by_name["Pages at scale"]["measured_at"] == merged["generated_at"]
    assert by_name["Workflow actions"]["figures"][0]["value"] == 200.0
    assert by_name["Live fan-out"]["measured_at"] == "2026-12-01T23:41:00+00:00"
    text = report.markdown(merged)
    assert text.count("_Carried over from the run of 2026-12-01T23:41:00+00:00._") == 2


def test_without_an_earlier_report_there_is_nothing_to_carry(tmp_path):
    assert report.load("latest", directory=tmp_path) is None
