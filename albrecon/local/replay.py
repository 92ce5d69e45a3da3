"""CloudTrail events replayed through the real recorder Lambda, as EventBridge delivers them - on
every core when there are many.

The recorder's writes for an event touch one inventory item, the one of the event's ENI, and
depend only on that item. So the events can be split by ENI, each part replayed in order in its
own process (a fork of this one: the same embedded AWS, the same inventory), and the parts' items
put back into this process's table: the table ends exactly as a replay in one process leaves it.
Events with no ENI to route by (malformed ones, which the recorder parks in the dead-letter
queue) are replayed here, after the parts.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
import warnings
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .lambdas import FunctionError
from .runtime import LocalAws

RECORDER = "EniRecorderFunction"
INVENTORY = "EniInventoryTable"
# Below this a fork (~50 ms) and putting the items back cost more than they save.
PARALLEL_FROM_EVENTS = 2000


@dataclass
class _PartReplayed:
    outcomes: Counter = field(default_factory=Counter)
    received: list[int] = field(default_factory=list)  # indices into the part's events
    items: list[dict] = field(default_factory=list)  # the part's ENIs' items after the replay
    printed: list[str] = field(default_factory=list)  # the recorder's stdout (EMF metrics)
    calls: Counter = field(default_factory=Counter)  # API calls made, for the fault injector
    error: str | None = None


def replay_events(
    aws: LocalAws,
    events: list[dict],
    received: Callable[[dict], None] | None = None,
    processes: int | None = None,
) -> dict[str, int]:
    """Invokes the recorder with each event; returns the outcomes counted. ``received`` is told of
    each event the recorder took (not of those it failed on). ``processes``: default every core."""
    processes = processes or _usable_cores()
    if processes < 2 or len(events) < PARALLEL_FROM_EVENTS or aws.faults.faults:
        # Faults are injected on the Nth call of an action: only one process counts calls exactly.
        part = _replay(aws, events)
        _tell_received(received, events, part.received)
        return dict(part.outcomes)
    return _replay_in_parts(aws, events, received, processes)


def _usable_cores() -> int:
    """Cores this process may use, on Linux; elsewhere 1. Parts are forks of this process, and a
    fork is only safe where it is the platform's own way (macOS's frameworks refuse to be forked)."""
    if not sys.platform.startswith("linux"):
        return 1
    return len(os.sched_getaffinity(0))


def _replay(aws: LocalAws, events: list[dict]) -> _PartReplayed:
    part = _PartReplayed()
    for index, event in enumerate(events):
        try:
            outcome = aws.invoke(RECORDER, event)["outcome"]
            part.received.append(index)
        except FunctionError as error:
            outcome = f"error: {error.error_type}"
        part.outcomes[outcome] += 1
    return part


def _tell_received(received: Callable[[dict], None] | None, events: list[dict], indices: list[int]) -> None:
    if received is not None:
        for index in indices:
            received(events[index])


def _eni_of(event: dict) -> str | None:
    """The ENI whose item the event may write; None when it writes no item."""
    from alb_egress.cloudtrail import MalformedEvent, change_from_event  # pydantic: only when replaying

    try:
        return getattr(change_from_event(event), "eni_id", None)
    except MalformedEvent:
        return None


def _replay_in_parts(
    aws: LocalAws, events: list[dict], received: Callable[[dict], None] | None, processes: int
) -> dict[str, int]:
    parts: list[list[dict]] = [[] for _ in range(processes)]
    enis_of_parts: list[set[str]] = [set() for _ in range(processes)]
    unrouted: list[dict] = []
    for event in events:
        eni_id = _eni_of(event)
        if eni_id is None:
            unrouted.append(event)
        else:
            which = zlib.crc32(eni_id.encode()) % processes
            parts[which].append(event)
            enis_of_parts[which].add(eni_id)

    context = multiprocessing.get_context("fork")  # the child inherits the embedded AWS as it is
    children = []
    for events_of_part, enis in zip(parts[1:], enis_of_parts[1:], strict=True):
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(
            target=_replay_part_in_child, args=(aws, events_of_part, enis, sending, os.getpid()), daemon=True
        )
        with warnings.catch_warnings():
            # Python 3.12+ warns of forking a process with threads (DuckDB's); a part touches only
            # the recorder and the embedded DynamoDB and SQS, none of which those threads hold.
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            child.start()
        sending.close()
        children.append((child, receiving, events_of_part))

    outcomes: Counter = Counter()
    own = _replay(aws, parts[0])
    outcomes.update(own.outcomes)
    _tell_received(received, parts[0], own.received)
    recorder = aws.functions[RECORDER]
    failures = []
    for child, receiving, events_of_part in children:
        try:
            part: _PartReplayed = receiving.recv()
        except EOFError:
            part = _PartReplayed(error=f"a replaying process ended without an answer (exit {child.exitcode})")
        child.join()
        if part.error is not None:
            failures.append(part.error)
            continue
        aws.put_table_items(INVENTORY, part.items)
        recorder.stdout.extend(part.printed)
        for call, count in part.calls.items():
            aws.faults.calls[call] += count
        outcomes.update(part.outcomes)
        _tell_received(received, events_of_part, part.received)
    if failures:
        raise RuntimeError("replaying CloudTrail events failed in a worker process:\n" + "\n".join(failures))

    rest = _replay(aws, unrouted)
    outcomes.update(rest.outcomes)
    _tell_received(received, unrouted, rest.received)
    return dict(outcomes)


def _die_with_parent(parent: int) -> None:
    """The kernel kills this worker when the process that forked it dies (Linux's
    PR_SET_PDEATHSIG): after a `kill -9` of the run, a worker would otherwise replay on and then
    block for ever writing its answer to a pipe it also holds the reading end of."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the call: nobody is waiting for this part
        os._exit(1)


def _replay_part_in_child(aws: LocalAws, events: list[dict], enis: set[str], sending, parent: int) -> None:
    _die_with_parent(parent)
    try:
        recorder = aws.functions[RECORDER]
        printed_before = len(recorder.stdout)
        calls_before = Counter(aws.faults.calls)
        part = _replay(aws, events)
        part.items = [item for item in aws.table_items(INVENTORY) if item["eni_id"]["S"] in enis]
        part.printed = recorder.stdout[printed_before:]
        part.calls = Counter(aws.faults.calls) - calls_before
    except BaseException:  # whatever failed is told to the parent, which raises it
        part = _PartReplayed(error=traceback.format_exc())
    sending.send(part)
    sending.close()
