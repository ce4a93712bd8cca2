"""Turn a run's results.json into results.md: the table docs/PERFORMANCE.md quotes.

    python bench/report.py bench/results/<stamp>     # rewrite results.md from results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.60
TARGET_P99_MS = 50.0


def _row(name: str, run: str, side: dict[str, Any], ratio: float | None) -> str:
    ratio_text = "" if ratio is None else f"{ratio:.2f}"
    return (f"| {name} | {run} | {side['rps']:,} | {side['p50_ms']} | {side['p99_ms']} | "
            f"{side['errors']} | {ratio_text} | {side.get('server_cpu_us_per_request', '')} | "
            f"{side.get('server_system_cpu_us_per_request', '')} | "
            f"{side.get('wrk_cpu_us_per_request', '')} |")


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# Benchmark run {results['date_utc']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, kernel {m['kernel']}; "
        f"Python {m['python']}, granian {m['granian']}, {m['nginx']}, {m['wrk']}, "
        f"{m['redis']}.",
        f"wrk -t{results['args']['threads']}, {results['args']['seconds']} s per run after a "
        f"{results['args']['warmup']} s warm-up; {results['args']['users']:,} known users; "
        f"nginx body {results.get('nginx_body_bytes', '?')} bytes.",
        "",
        "| server | run | req/s | p50 ms | p99 ms | errors | ratio to nginx | "
        "server CPU µs/req | of which kernel | wrk CPU µs/req |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, block in results["scenarios"].items():
        for run, pair in block.get("runs", {}).items():
            lines.append(_row("nginx (same minute)", run, pair["nginx"], None))
            lines.append(_row(name, run, pair["service"], pair["ratio"]))
            if "floor" in pair:  # bench/floor.py's RSGI app, right after the service
                lines.append(_row("floor (thinnest RSGI app)", run, pair["floor"],
                                  pair["floor"].get("ratio")))
    in_flight = {block["push"].get("concurrency") for block in results["scenarios"].values()
                 if block.get("push")}
    lines += ["", "## Batch push (widgets:batch, 1,000 items per call, "
              f"{'/'.join(str(n) for n in sorted(in_flight) if n)} in flight)", "",
              "| scenario | widgets | seconds | widgets/s | refused | retried calls (503) | "
              "CPU µs/widget (service + Redis) |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, block in results["scenarios"].items():
        push = block.get("push")
        if push:
            lines.append(f"| {name} | {push['widgets']:,} | {push['seconds']} | "
                         f"{push['widgets_per_second']:,} | {push['refused_items']} | "
                         f"{push.get('retried_calls', 0)} | "
                         f"{push.get('server_and_redis_cpu_us_per_widget', '')} |")
    ptv = results.get("push_to_visible")
    if ptv:
        lines += ["", "## Push-to-visible, two instances on one Redis", "",
                  f"{ptv['seen']} of {ptv['pushes']} pushes seen on B's events stream: "
                  f"p50 {ptv['p50_ms']} ms, p99 {ptv['p99_ms']} ms, max {ptv['max_ms']} ms "
                  f"(the push's own answer: p50 {ptv['ack_p50_ms']} ms, p99 "
                  f"{ptv['ack_p99_ms']} ms); missed within 2 s: {ptv['missed_within_2s']}."]
    lines += ["", "## Targets", ""]
    lines += _targets(results)
    lines += ["", "## Log", "", "```", *results.get("log", []), "```", ""]
    return "\n".join(lines)


def _targets(results: dict[str, Any]) -> list[str]:
    out = []
    for name, block in results["scenarios"].items():
        runs = block.get("runs", {})
        hit = runs.get("known-c256")
        if hit:
            ok = hit["ratio"] >= TARGET_RATIO and hit["service"]["p99_ms"] < TARGET_P99_MS
            out.append(f"- {name}, L1 hits c256: ratio {hit['ratio']:.2f} (>= {TARGET_RATIO}), "
                       f"p99 {hit['service']['p99_ms']} ms (< {TARGET_P99_MS}): "
                       f"{'met' if ok else 'NOT met'}")
        errors = sum(pair["service"]["errors"] for run, pair in runs.items() if "c1000" in run)
        if any("c1000" in run for run in runs):
            out.append(f"- {name}, errors at 1,000 connections: {errors}: "
                       f"{'met' if errors == 0 else 'NOT met'}")
    ptv = results.get("push_to_visible")
    if ptv and ptv["p99_ms"] is not None:
        ok = ptv["p99_ms"] < 100 and ptv["missed_within_2s"] == 0
        out.append(f"- push-to-visible p99 {ptv['p99_ms']} ms (< 100): "
                   f"{'met' if ok else 'NOT met'}")
    for name, block in results["scenarios"].items():
        push = block.get("push")
        if push and block.get("redis"):
            ok = push["widgets_per_second"] >= 20_000
            out.append(f"- {name}: batch push {push['widgets_per_second']:,} widgets/s "
                       f"(>= 20,000): {'met' if ok else 'NOT met'}")
    return out


def write_report(results: dict[str, Any], out: Path) -> None:
    (out / "results.md").write_text(render(results))


if __name__ == "__main__":
    directory = Path(sys.argv[1])
    write_report(json.loads((directory / "results.json").read_text()), directory)
    print((directory / "results.md").read_text())
