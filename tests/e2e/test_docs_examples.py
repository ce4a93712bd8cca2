"""docs/PRODUCT_GUIDE.md's examples run as written, against a real service.

Every ```bash and ```python block of the guide runs, in document order (as a reader
would run them: later blocks build on earlier ones), against one `homewidgets serve`
(embedded L2) and one `homewidgets products` for the pull example, with `$HW` and `$HP`
set to their URLs. A block must exit 0; a block marked `<!-- expect: STATUS -->` must
print that status last. Every SDUI example must pass the service's validation, have its
rendered picture in docs/images/, and together they must cover the whole catalogue.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from homewidgets.domain.sdui import COMPONENT_TAGS
from processes import Process, free_port, start_products, start_service

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "scripts"))
from guide_examples import (  # noqa: E402
    GUIDE,
    IMAGES,
    Block,
    python_examples,
    sdui_examples,
    shell_examples,
)

pytestmark = pytest.mark.slow

BLOCK_TIMEOUT = 30


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A service whose refresh worker pulls from nowhere (a closed port), so nothing but
    the examples writes widgets, and a products simulator for the pull example."""
    logs = tmp_path_factory.mktemp("docs-services")
    closed = f"http://127.0.0.1:{free_port()}"
    started: list[Process] = []
    try:
        started.append(start_service(logs, {"HOMEWIDGETS_PRODUCTS_URL": closed}))
        started.append(start_products(logs))
        yield {"HW": started[0].url, "HP": started[1].url}
    finally:
        for process in started:
            process.stop()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the examples run: they may write files (`offer.json`, the schema)."""
    return tmp_path_factory.mktemp("docs-examples")


def _env(services: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWIDGETS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    env.update(services)
    return env


def _run(args: list[str], services: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=_env(services), cwd=cwd, capture_output=True, text=True,
                          timeout=BLOCK_TIMEOUT, check=False)


def _failure(block: Block, done: subprocess.CompletedProcess[str]) -> str:
    return (f"{GUIDE.name} line {block.line} exited {done.returncode}\n--- block\n{block.text}"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")


@pytest.mark.parametrize("block", shell_examples(), ids=lambda b: b.name)
def test_each_shell_example_of_the_guide_runs_against_a_real_service(
    block: Block, services: dict[str, str], workdir: Path
) -> None:
    done = _run(["bash", "-c", "set -euo pipefail\n" + block.text], services, workdir)
    assert done.returncode == 0, _failure(block, done)
    if block.expected_status is not None:
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        assert last == str(block.expected_status), _failure(block, done)


@pytest.mark.parametrize("block", python_examples(), ids=lambda b: b.name)
def test_each_python_example_of_the_guide_runs_against_a_real_service(
    block: Block, services: dict[str, str], workdir: Path
) -> None:
    done = _run([sys.executable, "-c", block.text], services, workdir)
    assert done.returncode == 0, _failure(block, done)


def test_the_guide_has_runnable_examples_of_every_push_endpoint() -> None:
    text = "\n".join(b.text for b in shell_examples() + python_examples())
    for call in ("-X PUT \"$HW/v1/products/energy/widgets/", "/generic\"", "-X DELETE",
                 "widgets:batch", "/v1/schema/validate", "/v1/products/energy/events",
                 "/v1/events", "/v1/home/$U/events", "home-widgets:batch",
                 "HomeWidgetsClient", "homewidgets push", "homewidgets validate"):
        assert call in text, f"no runnable example uses {call}"


def _types(component: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(component, dict):
        if isinstance(component.get("type"), str):
            found.add(component["type"])
        for value in component.values():
            found |= _types(value)
    elif isinstance(component, list):
        for value in component:
            found |= _types(value)
    return found - {"navigate", "dismiss", "track"}  # action types, not components


def test_every_sdui_example_is_valid_and_has_its_rendered_picture(
    services: dict[str, str],
) -> None:
    examples = sdui_examples()
    with httpx.Client(base_url=services["HW"], timeout=10) as client:
        for name, component in examples.items():
            answer = client.post("/v1/schema/validate", json=component)
            assert answer.status_code == 200, f"{name}: {answer.text}"
            picture = IMAGES / f"sdui-{name}.png"
            assert picture.is_file(), f"run docs/scripts/render_catalogue.py: {picture} missing"
            assert f"(images/sdui-{name}.png)" in GUIDE.read_text(encoding="utf-8")


def test_the_sdui_examples_cover_every_component_type_of_the_catalogue() -> None:
    shown = set().union(*(_types(c) for c in sdui_examples().values()))
    assert shown == set(COMPONENT_TAGS)


# -- CONCEPT.md: every figure comes from a command, and says the same as its output -------

CONCEPT = ROOT / "docs" / "CONCEPT.md"
RESULTS = ROOT / "docs" / "scripts" / "results"


def _figure(value: float) -> str:
    """A number as the document writes it: thousands separated, decimals where measured."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def test_the_concepts_measurement_commands_exist_and_their_results_are_kept() -> None:
    text = CONCEPT.read_text(encoding="utf-8")
    for script, result in (("measure_memory.py", "memory.json"),
                           ("measure_throughput.py", "throughput.json")):
        assert f"docs/scripts/{script}" in text
        assert (ROOT / "docs" / "scripts" / script).is_file()
        assert (RESULTS / result).is_file(), f"run docs/scripts/{script}"
        assert f"docs/scripts/results/{result}" in text


def test_the_concepts_figures_are_those_its_commands_measured() -> None:
    """Re-running a measurement without updating the document fails here."""
    text = CONCEPT.read_text(encoding="utf-8")
    memory = json.loads((RESULTS / "memory.json").read_text())
    throughput = json.loads((RESULTS / "throughput.json").read_text())
    assert memory["command"] in text and throughput["command"] in text
    figures = {
        "Redis bytes per user": memory["redis"]["used_memory_per_user"],
        "MEMORY USAGE of a user key": memory["redis"]["memory_usage_user_key_median"],
        "home body": memory["l1"]["body_bytes_mean"],
        "gzip body": memory["l1"]["gzip_bytes_mean"],
        "L1 weight per home": memory["l1"]["weighted_bytes_per_home"],
        "RSS per home": memory["l1"]["rss_bytes_per_home_v1_gzip"],
        "RSS per home with compat": memory["l1"]["rss_bytes_per_home_all"],
        "known req/s": throughput["runs"]["known"]["rps"],
        "unknown req/s": throughput["runs"]["unknown"]["rps"],
        "known CPU per request": throughput["runs"]["known"]["server_cpu_us_per_request"],
        "unknown CPU per request": throughput["runs"]["unknown"]["server_cpu_us_per_request"],
        "push widgets/s": throughput["push"]["widgets_per_second"],
    }
    missing = {name: _figure(v) for name, v in figures.items() if _figure(v) not in text}
    assert not missing, f"CONCEPT.md does not show these measured figures: {missing}"
