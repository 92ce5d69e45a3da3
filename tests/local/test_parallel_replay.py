"""Events replayed in several processes leave exactly the inventory, outcomes and dead letters of
a replay in one process (albrecon/local/replay.py)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from albrecon.generator.cloudtrail_events import create_event, delete_event, failed_delete_event
from albrecon.local import replay
from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def stamp(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def events() -> list[dict]:
    """Creates, deletes (some before their create, some twice), failed calls, a non-ELB ENI and
    malformed events, interleaved across 40 ENIs."""
    out = []
    for n in range(40):
        eni = f"eni-{n:017x}"
        create = create_event(
            eni_id=eni, description=f"ELB app/api-{n % 7}/{n % 7:016x}", event_time=stamp(n)
        )
        delete = delete_event(eni_id=eni, event_time=stamp(n + 600))
        if n % 5 == 0:
            out += [delete, create]  # the delete arrives first: a placeholder, then completed
        elif n % 5 == 1:
            out += [create, delete, delete, failed_delete_event(eni_id=eni, event_time=stamp(n + 601))]
        elif n % 5 == 2:
            out += [create_event(eni_id=eni, description="a user's own ENI", event_time=stamp(n))]
        else:
            out += [create]
    out.insert(17, {"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "nonsense"}})
    out.insert(33, {"source": "aws.ec2", "detail": {"eventName": "DeleteNetworkInterface"}})
    out.append(delete_event(eni_id="eni-0fffffffffffffff0", event_time=stamp(9)))  # never created
    return out


def replayed_with(processes: int, monkeypatch) -> dict:
    monkeypatch.setattr(replay, "PARALLEL_FROM_EVENTS", 1)
    taken = []
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env={"POWERTOOLS_LOG_LEVEL": "ERROR"}) as aws:
        outcomes = replay.replay_events(
            aws, events(), lambda e: taken.append(json.dumps(e, sort_keys=True)), processes
        )
        items = aws.table_items(replay.INVENTORY)
        for item in items:  # a placeholder's TTL is "now + 30 days": the clock, not the replay
            assert item.pop("expires_at", {"N": "1"})["N"].isdigit()
        queue = aws.client("sqs").receive_message(
            QueueUrl=aws.ref("EniEventsDeadLetterQueue"), MaxNumberOfMessages=10, AttributeNames=["All"]
        )
        dead = sorted(json.loads(m["Body"])["reason"] for m in queue.get("Messages", []))
        metrics = aws.functions[replay.RECORDER].metrics()
        calls = dict(aws.faults.calls)
    return {
        "outcomes": outcomes,
        "items": sorted(items, key=lambda item: item["eni_id"]["S"]),
        "received": sorted(taken),
        "dead_letters": dead,
        "metric_documents": len(metrics),
        "update_item_calls": calls.get(("dynamodb", "UpdateItem")),
    }


def test_two_processes_leave_what_one_leaves(monkeypatch):
    one = replayed_with(1, monkeypatch)
    two = replayed_with(2, monkeypatch)
    assert one == two
    # and the comparison is not between two empty answers
    assert one["outcomes"]["created"] == 32 and one["outcomes"]["malformed"] == 2
    assert len(one["items"]) == 40 - 8 + 1 and len(one["dead_letters"]) == 2  # non-ELB ENIs: no item
    assert one["update_item_calls"] >= 32 + 16


def test_a_failure_in_a_worker_process_is_raised_not_lost(monkeypatch):
    monkeypatch.setattr(replay, "PARALLEL_FROM_EVENTS", 1)
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env={"POWERTOOLS_LOG_LEVEL": "ERROR"}) as aws:
        original = aws.table_items

        def broken(logical_id):  # only the worker process reads the table in the middle of a replay
            raise OSError("disk gone")

        monkeypatch.setattr(aws, "table_items", broken)
        with pytest.raises(RuntimeError, match="disk gone"):
            replay.replay_events(aws, events(), processes=2)
        monkeypatch.setattr(aws, "table_items", original)


_ORPHAN_SCRIPT = """
import os, sys, time
from albrecon.local import replay
from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws
sys.path.insert(0, sys.argv[1])
from test_parallel_replay import events

parent = os.getpid()
replayed = replay._replay


def slow_in_workers(aws, part):  # a worker still replaying when its run is killed
    if os.getpid() != parent:
        time.sleep(300)
    return replayed(aws, part)


replay._replay = slow_in_workers
replay.PARALLEL_FROM_EVENTS = 1
with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env={"POWERTOOLS_LOG_LEVEL": "ERROR"}) as aws:
    print("replaying", flush=True)
    replay.replay_events(aws, events(), None, 3)
"""


def _children(pid: int) -> set[int]:
    from pathlib import Path

    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie (no init reaps it in a container) is dead


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="forks only on Linux")
def test_a_run_killed_with_sigkill_leaves_no_replaying_worker_behind():
    """`kill -9` of a run during the parallel replay: its workers die with it (they used to replay
    on and then block for ever, ~160 MB each)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    run = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT, str(Path(__file__).parent)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout.readline().strip() == "replaying"
        deadline = time.monotonic() + 60
        while len(workers := _children(run.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2, workers
        os.kill(run.pid, signal.SIGKILL)
        run.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers)
    finally:
        run.kill()
