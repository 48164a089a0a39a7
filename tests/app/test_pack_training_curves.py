"""Each training problem of the pack, graded from its reference solution through the service and the real
sandbox, shows its training curves on the submission page: the loss per step, the training accuracy per
epoch, and the accuracy bar."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.db.models import Role
from app.web.session import COOKIE
from grader.bundle import load_bundle
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded
from tests.hidden_leak import hidden_classifier

PACK = Path(__file__).resolve().parents[2] / "reference"
SVG = "{http://www.w3.org/2000/svg}"

# slug -> training tests: (test, loss values and their x unit, accuracy values per epoch, bar). The counts follow
# from each reference's training loop: logistic regression takes 300 full-batch steps (each one an epoch),
# the two-layer net 15 epochs of ceil(3750 / 32) = 118 batches, the linear classifiers 15 epochs of 38
# batches, the CNN 20 epochs of ceil(1347 / 64) = 22 batches; the graph driver reports 4 epochs.
TRAINING = {
    "logistic-regression": [("train_logreg", 300, "step", 300, 0.94)],
    "two-layer-net": [("train_two_layer", 1770, "step", 15, 0.90)],
    "linear-classifiers": [("train_softmax", 570, "step", 15, 0.87), ("train_svm", 570, "step", 15, 0.86)],
    "cnn": [("train_convnet", 440, "step", 20, 0.96)],
    "computational-graph": [("train_mnist", 4, "epoch", 4, 0.90)],
}


def _figure(page: str, test: str) -> list[ET.Element]:
    """The SVG charts of the page's figure for `test`, parsed (so each is well-formed)."""
    found = re.search(
        rf'<figure class="card training-curve"><figcaption>Training history of {re.escape(test)}</figcaption>'
        r"(.*?)</figure>",
        page,
        re.S,
    )
    assert found, f"no training curve for {test}"
    return [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", found.group(1), re.S)]


def _texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def _points(svg: ET.Element) -> int:
    return sum(len(p.get("points", "").split()) for p in svg.iter(f"{SVG}polyline")) + len(
        list(svg.iter(f"{SVG}circle"))
    )


@pytest.mark.slow
@pytest.mark.parametrize("slug", list(TRAINING))
def test_a_graded_reference_solution_shows_its_training_curves(
    slug: str, make_world: WorldFactory, sqlite_url: str
) -> None:
    world: World = make_world(sqlite_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    bundle = load_bundle(PACK / slug)
    world.add_problem(bundle)
    sid = world.submit("alice", slug, solution_of(bundle)).json()["id"]
    body = wait_graded(world, "alice", sid, timeout=900)
    assert body["status"] == "graded" and body["score"] == body["max_score"], body
    response = world.client.get(f"/s/{sid}", headers={"Cookie": f"{COOKIE}={world.tokens['alice']}"})
    assert response.status_code == 200
    for test, steps, per, epochs, bar in TRAINING[slug]:
        history = body["metrics"]["history"][test]
        assert len(history["loss"]["values"]) == steps and history["loss"]["per"] == per
        assert len(history["train_accuracy"]["values"]) == epochs
        loss_chart, accuracy_chart = _figure(response.text, test)
        assert loss_chart.get("role") == "img" and accuracy_chart.get("role") == "img"
        assert re.match(rf"loss from [\d.]+ to [\d.]+ over {steps:,} {per}s", loss_chart.get("aria-label", ""))
        texts = _texts(loss_chart)
        assert per in texts and ("loss" in texts or "loss (log scale)" in texts)
        # every value is drawn, or past two per pixel column the lowest and highest of each column
        assert _points(loss_chart) == steps if steps <= 2 * 382 else 2 * 100 < _points(loss_chart) <= 2 * 382
        texts = _texts(accuracy_chart)
        assert "epoch" in texts and "accuracy" in texts
        assert _points(accuracy_chart) == epochs
        assert f"required test accuracy {bar:.2f}" in texts
        assert len([line for line in accuracy_chart.iter(f"{SVG}line") if line.get("class") == "bar-line"]) == 1


def _page(world: World, who: str, sid: int) -> str:
    response = world.client.get(f"/s/{sid}", headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})
    assert response.status_code == 200
    return str(response.text)


def test_a_training_run_that_recorded_no_history_says_so_instead_of_a_curve(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    bundle = load_toy("toy-classifier")
    world.add_problem(bundle)
    source = solution_of(bundle)["clf.py"].replace(b"return W, history", b"return W, []")
    sid = world.submit("alice", "toy-classifier", {"clf.py": source}).json()["id"]
    assert wait_graded(world, "alice", sid, timeout=120)["status"] == "graded"
    page = _page(world, "alice", sid)
    assert "training-curve" not in page
    assert "No training curve for train_accuracy: its run recorded no training history" in page


def test_a_hidden_training_test_shows_its_curve_to_staff_only(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(hidden_classifier())
    bundle = load_toy("toy-classifier")
    sid = world.submit("alice", "toy-classifier", solution_of(bundle)).json()["id"]
    assert wait_graded(world, "alice", sid, timeout=120)["status"] == "graded"
    student = _page(world, "alice", sid)
    assert "<svg" in student  # the pass/fail strip, and nothing about the training
    assert "training-curve" not in student and "No training curve" not in student and "loss from" not in student
    [loss] = _figure(_page(world, "ian", sid), "train_accuracy")
    assert re.match(r"loss from [\d.]+ to [\d.]+ over 200 steps", loss.get("aria-label", ""))
