"""A measured design as report figures: {name, value, unit, baseline, ratio, target, meets}."""

from bench import report

MS, US, KB, MB = 1e3, 1e6, 1 / 1024, 1 / 1024**2


def describe(result):
    return (
        f"{result.clients:,} clients, {len(result.latencies)} sequential broadcasts, "
        f"~{result.message_bytes:,} B per message, connected in {result.connect_seconds:.1f} s "
        f"({result.counts['failures']:,} handshakes failed and were retried)"
    )


def absolute(name, result, *, faults_target=True):
    return [
        report.figure(
            f"{name}: p50 to last client", result.p50 * MS, "ms", detail=describe(result)
        ),
        report.figure(f"{name}: p99 to last client", result.p99 * MS, "ms"),
        report.figure(f"{name}: throughput", result.rate, "broadcasts/s"),
        report.figure(
            f"{name}: server CPU per delivered message", result.cpu_per_message * US, "µs"
        ),
        report.figure(f"{name}: server RSS", result.rss * MB, "MB"),
        faults(name, result, target=faults_target),
    ]


def against_bare(name, result, bare, *, targets):
    def target(limit):
        return ("<=", limit) if targets else None

    return [
        report.figure(
            f"{name}: p50 to last client",
            result.p50 * MS,
            "ms",
            baseline=bare.p50 * MS,
            target=target(2),
            of="ratio",
            detail=describe(result),
        ),
        report.figure(
            f"{name}: p99 to last client",
            result.p99 * MS,
            "ms",
            baseline=bare.p99 * MS,
            target=target(2),
            of="ratio",
        ),
        report.figure(
            f"{name}: throughput vs bare", result.rate, "broadcasts/s", baseline=bare.rate
        ),
        report.figure(
            f"{name}: server CPU per delivered message",
            result.cpu_per_message * US,
            "µs",
            baseline=bare.cpu_per_message * US,
            target=target(3),
            of="ratio",
        ),
        report.figure(f"{name}: server RSS", result.rss * MB, "MB", baseline=bare.rss * MB),
    ]


def against_baselines(name, result, baselines, targeted):
    return [
        report.figure(
            f"{name}: throughput vs {label}",
            result.rate,
            "broadcasts/s",
            baseline=baseline.rate,
            target=(">=", 10) if targeted else None,
            of="ratio",
        )
        for label, baseline in baselines
    ]


def faults(name, result, *, target=True):
    return report.figure(
        f"{name}: messages lost, duplicated or out of order",
        result.faults,
        "messages",
        target=("<=", 0) if target else None,
        detail=None if not result.faults else str(result.counts),
    )
