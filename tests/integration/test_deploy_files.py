"""The deployment files, checked as far as a machine without a Docker engine can check them.

The compose file must parse and wire the services; nginx itself must accept its config
(`nginx -t`, with the compose host names mapped to loopback); the Dockerfile must be
multi-stage, end as a non-root user, and copy only paths that exist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


def test_compose_runs_two_instances_a_worker_products_valkey_and_nginx() -> None:
    services = compose()["services"]
    assert set(services) == {"valkey", "service-a", "service-b", "worker", "products", "lb"}
    for name in ("service-a", "service-b"):
        assert services[name]["command"][0] == "serve"
        assert services[name]["environment"]["HOMEWIDGETS_REDIS_URL"] == "redis://valkey:6379/0"
        assert services[name]["depends_on"]["valkey"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["worker"]
    assert services["products"]["command"][0] == "products"
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["lb"]["volumes"]
    # The products push to the load balancer, which the services' settings point back to.
    assert services["service-a"]["environment"]["HOMEWIDGETS_PRODUCTS_URL"] == \
        "http://products:9100"


def test_the_compose_build_points_at_the_dockerfile() -> None:
    build = compose()["services"]["service-a"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


def test_nginx_balances_over_both_instances_and_does_not_buffer_events() -> None:
    config = (DEPLOY / "nginx.conf").read_text()
    upstream = re.search(r"upstream homewidgets \{(.*?)\}", config, re.S)
    assert upstream is not None
    assert re.findall(r"server (\S+):8000", upstream.group(1)) == ["service-a", "service-b"]
    events = re.search(r"location ~ \^/v1/home/\[\^/\]\+/events\$ \{(.*?)\}", config, re.S)
    assert events is not None and "proxy_buffering off;" in events.group(1)


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    # `nginx -t` resolves upstream hosts, and only compose's network knows these names.
    config = (DEPLOY / "nginx.conf").read_text()
    local = re.sub(r"server (service-[ab]):8000", r"server 127.0.0.1:8000", config)
    local = local.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    assert local != config
    (tmp_path / "nginx.conf").write_text(local)
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (scripts/test.sh installs Debian's nginx)",
                    pytrace=False)
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def dockerfile_stages() -> list[list[str]]:
    stages: list[list[str]] = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_image_is_multi_stage_and_runs_as_a_non_root_user() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    final = stages[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users, "the final stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid not in {"0", "root"}
    assert any("COPY --from=build /opt/venv" in line for line in final)
    assert not any(line.startswith("RUN pip") for line in final)  # no build tools at run time


def test_every_path_the_dockerfile_copies_exists() -> None:
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"{line!r}: {source} is missing"
