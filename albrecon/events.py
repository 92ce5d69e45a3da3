"""Reading EventBridge events from files: one event per file, or a JSON array per file."""

from __future__ import annotations

import json
from pathlib import Path


class EventFileError(ValueError):
    """An events file that is not JSON (or not an event / array of events)."""


def read_event_files(directory: Path) -> list[dict]:
    """Events of every ``*.json`` in ``directory``, files in name order, arrays in their order."""
    events: list[dict] = []
    for path in sorted(directory.glob("*.json")):
        try:
            content = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise EventFileError(f"{path}: not JSON ({error})") from None
        batch = content if isinstance(content, list) else [content]
        for position, event in enumerate(batch):
            if not isinstance(event, dict):
                raise EventFileError(f"{path}[{position}]: an event must be a JSON object")
            events.append(event)
    return events
