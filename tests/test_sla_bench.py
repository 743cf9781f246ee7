"""The SLA sweep bench runs at smoke size on either database (figures only, no timing asserted)."""

from bench import sla_sweep
from bench.report import validate
from workflows.models import Clock


def test_sweep_bench_smoke(departments, customer):
    figures = validate(sla_sweep.run(smoke=True))
    by_name = {f["name"].split(" (")[0]: f for f in figures}
    assert by_name["Due query served by the sla_clock_due index"]["meets"] is True
    assert "sla_clock_due" in by_name["Due query served by the sla_clock_due index"]["detail"]
    assert not Clock.objects.exists()  # the bench rolled its data back
