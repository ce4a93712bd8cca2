"""The product teams' tools against a real `homewidgets serve`: the client, `push` and `validate`.

One service process (embedded L2) serves the whole module; each test uses its own user
ids, so the tests do not see each other's widgets.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from homewidgets.client import (
    BatchItem,
    HomeWidgetsClient,
    InvalidContent,
    PermissionDenied,
    Problem,
    VersionConflict,
)
from homewidgets.inbound.cli import main
from homewidgets.registry import demo_token
from processes import Process, command, homewidgets_env, start_service

pytestmark = pytest.mark.slow

CARD = {"type": "card", "title": "Fixed-price energy",
        "children": [{"type": "price", "amount": 41.5, "currency": "EUR", "period": "month"}]}
BAD = {"type": "card", "title": "Offer", "image": {"type": "image", "url": "javascript:x()",
                                                     "alt": "logo"}}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    running = start_service(tmp_path_factory.mktemp("client"))
    yield running
    running.stop()


@pytest.fixture
def client(service: Process) -> Iterator[HomeWidgetsClient]:
    with HomeWidgetsClient(service.url, demo_token("energy")) as energy:
        yield energy


def new_user() -> str:
    return str(uuid.uuid4())


def home_of(service: Process, user: str) -> dict[str, dict[str, object]]:
    body = httpx.get(f"{service.url}/v1/home/{user}", timeout=5).json()
    return {w["product"]: w for w in body["widgets"]}


def write(tmp_path: Path, name: str, value: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return str(path)


# -- the client -----------------------------------------------------------------------


def test_a_widget_pushed_with_the_client_is_on_the_users_home(
    service: Process, client: HomeWidgetsClient
) -> None:
    user = new_user()
    result = client.push("energy", user, CARD, version=4)
    assert (result.version, result.stored) == (4, True)
    assert home_of(service, user)["energy"]["content"] == CARD
    assert client.push("energy", user, CARD, version=4).stored is False  # idempotent
    with pytest.raises(VersionConflict) as stale:
        client.push("energy", user, CARD, version=3)
    assert stale.value.stored_version == 4


def test_the_client_deletes_and_batches(service: Process, client: HomeWidgetsClient) -> None:
    first, second = new_user(), new_user()
    results = client.batch("energy", [BatchItem(first, CARD), BatchItem(second, BAD)])
    assert [r.status for r in results] == [200, 422]
    assert results[1].problems[0].pointer == "/items/1/content/image/url"
    assert "energy" in home_of(service, first)
    assert client.delete("energy", first) is True
    assert home_of(service, first).get("energy", {}).get("personalised") in (None, False)


def test_the_client_raises_typed_errors_with_pointers(client: HomeWidgetsClient) -> None:
    with pytest.raises(InvalidContent) as invalid:
        client.push("energy", new_user(), BAD)
    assert invalid.value.problems[0].pointer == "/content/image/url"
    with pytest.raises(PermissionDenied):
        client.push("flights", new_user(), CARD)  # energy's token, flights' widget
    assert client.validate(CARD) == CARD
    with pytest.raises(InvalidContent) as refused:
        client.validate(BAD)
    assert refused.value.problems[0] == Problem("/image/url", refused.value.problems[0].reason)


def test_pushes_made_with_the_client_show_in_the_services_metrics(
    service: Process, client: HomeWidgetsClient
) -> None:
    def pushes() -> float:
        text = httpx.get(f"{service.url}/metrics", timeout=5).text
        line = next(x for x in text.splitlines()
                    if x.startswith('homewidgets_pushes_total{product="energy"}'))
        return float(line.rsplit(" ", 1)[1])

    before = pushes()
    client.push("energy", new_user(), CARD)
    assert pushes() == before + 1


# -- the commands -----------------------------------------------------------------------


def test_validate_passes_good_files_and_names_each_problem_of_bad_ones(
    service: Process, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "good.json", CARD)
    bad = write(tmp_path, "bad.json", BAD)
    put_body = write(tmp_path, "put.json", {"content": BAD, "version": 2})

    assert main(["validate", good, "--url", service.url]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"

    assert main(["validate", good, bad, put_body, "--url", service.url]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{good}: ok"
    assert lines[1].startswith(f"{bad}: /image/url: ")
    assert lines[2].startswith(f"{put_body}: /content/image/url: ")


def test_validate_offline_agrees_with_the_service(
    service: Process, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.json", BAD)
    assert main(["validate", bad]) == 1
    offline = capsys.readouterr().out
    assert main(["validate", bad, "--url", service.url]) == 1
    assert capsys.readouterr().out == offline


def test_validate_exits_2_when_it_cannot_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    good = write(tmp_path, "good.json", CARD)
    assert main(["validate", good, "--url", "http://127.0.0.1:9"]) == 2  # nothing listens


def test_push_command_stores_a_file_and_refuses_a_bad_one(
    service: Process, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = new_user()
    good = write(tmp_path, "good.json", {"content": CARD, "version": 8, "priority": 5})
    token = ["--token", demo_token("energy"), "--url", service.url]
    assert main(["push", good, "--product", "energy", "--user", user, *token]) == 0
    assert capsys.readouterr().out == f"{good}: stored energy/{user} version 8\n"
    assert home_of(service, user)["energy"]["version"] == 8

    bad = write(tmp_path, "bad.json", BAD)
    assert main(["push", bad, "--product", "energy", "--user", user, *token]) == 1
    assert capsys.readouterr().out.startswith(f"{bad}: /image/url: ")
    assert main(["push", good, "--product", "energy", "--user", user, "--url", service.url]) == 2
    assert "no token" in capsys.readouterr().err


def test_the_installed_command_runs_in_a_ci_shell(service: Process, tmp_path: Path) -> None:
    # What a product team's CI runs: the console entry point, its exit code and output.
    good = write(tmp_path, "good.json", CARD)
    bad = write(tmp_path, "bad.json", BAD)
    done = subprocess.run(
        command("validate", good, bad, "--url", service.url),
        env=homewidgets_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == f"{good}: ok"
    assert done.stdout.splitlines()[1].startswith(f"{bad}: /image/url: ")
