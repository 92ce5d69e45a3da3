"""Which CUR 2.0 delivery to read (DESIGN §3: only the latest complete delivery).

In "create new export file" mode every refresh writes its files to its own
``data/BILLING_PERIOD=YYYY-MM/<timestamp>-<execution id>/`` folder: reading the whole period would
count usage once per refresh. The export's ``<export>-Manifest.json`` (written after the data
files) lists the latest delivery's files - AWS's recommended way to know what to read
(dataexports-manifest.html). In "overwrite" mode the files sit in the period folder itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from .sql_render import DELIVERY_RE, OVERWRITE_DELIVERY


def latest_delivery(manifest: Mapping | None, period_key: str, delivery_folders: list[str]) -> str:
    """The delivery folder under ``period_key`` (``.../BILLING_PERIOD=YYYY-MM/``) to read, or
    OVERWRITE_DELIVERY when the files are in the period folder itself.

    ``manifest``: the period's Manifest.json (None when absent); ``delivery_folders``: the folder
    names directly under the period folder (the fallback: the newest, as timestamps sort).
    """
    prefix = period_key.rstrip("/") + "/"
    for uri in (manifest or {}).get("dataFiles") or []:
        key = str(uri).split("/", 3)[3] if str(uri).startswith("s3://") else str(uri)
        if key.startswith(prefix):
            rest = key[len(prefix) :].split("/")
            if len(rest) == 1:
                return OVERWRITE_DELIVERY
            if DELIVERY_RE.match(rest[0]):
                return rest[0]
    folders = sorted(f for f in delivery_folders if DELIVERY_RE.match(f))
    return folders[-1] if folders else OVERWRITE_DELIVERY
