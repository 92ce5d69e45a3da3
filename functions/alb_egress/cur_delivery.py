"""Which CUR 2.0 delivery to read (docs/DESIGN.md §3: only the latest complete delivery).

In "create new export file" mode every refresh writes its files to its own
``data/BILLING_PERIOD=YYYY-MM/<timestamp>-<execution id>/`` folder: reading the whole period would
count usage once per refresh. The export's ``<export>-Manifest.json`` (written after the data
files) lists the latest delivery's files - AWS's recommended way to know what to read
(dataexports-manifest.html). In "overwrite" mode the files sit in the period folder itself.

Nothing in AWS's documentation promises which characters a delivery folder's name holds (S3 keys
may hold ``:``, ``=``, spaces and more): any name is read, quoted, except the two that cannot be
quoted safely in Athena's DDL (``'`` and ``\\``) and control characters. When deliveries exist but
none can be chosen safely, the answer is a problem - never the whole period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .sql_render import DELIVERY_RE, OVERWRITE_DELIVERY

NO_DELIVERY = "no-readable-delivery"  # a folder that holds nothing: the night reads no CUR lines


@dataclass(frozen=True)
class DeliveryChoice:
    delivery: str  # a folder name under the period folder, OVERWRITE_DELIVERY or NO_DELIVERY
    problem: str | None = None  # why none could be chosen (the night reports it, blames no ALB)


def latest_delivery(manifest: object, period_key: str, delivery_folders: list[str]) -> DeliveryChoice:
    """The delivery to read under ``period_key`` (``.../BILLING_PERIOD=YYYY-MM/``).

    ``manifest``: the period's Manifest.json (None when absent); ``delivery_folders``: the folder
    names directly under the period folder (without a manifest: the newest, as the documented
    ``<timestamp>-<execution id>`` names sort).
    """
    prefix = period_key.rstrip("/") + "/"
    if manifest is not None:
        files = manifest.get("dataFiles") if isinstance(manifest, Mapping) else None
        if not isinstance(files, list):
            why = manifest.get("unreadable") if isinstance(manifest, Mapping) else None
            return _unreadable(delivery_folders, why or "the period's Manifest.json has no dataFiles list")
        for uri in files:
            key = (
                str(uri).split("/", 3)[3] if str(uri).startswith("s3://") and str(uri).count("/") >= 3 else ""
            )
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :].split("/")
            if len(rest) == 1:
                return DeliveryChoice(OVERWRITE_DELIVERY)
            if DELIVERY_RE.match(rest[0]):
                return DeliveryChoice(rest[0])
            return DeliveryChoice(
                NO_DELIVERY,
                f"the manifest's delivery folder {rest[0][:120]!r} holds a character that cannot be "
                "quoted in Athena's DDL (' or \\ or a control character)",
            )
        return _unreadable(delivery_folders, f"the period's Manifest.json names no file under {prefix}")
    folders = sorted(f for f in delivery_folders if DELIVERY_RE.match(f))
    if folders:
        return DeliveryChoice(folders[-1])
    if delivery_folders:
        return DeliveryChoice(
            NO_DELIVERY, f"no delivery folder under {prefix} has a name that can be read safely"
        )
    return DeliveryChoice(OVERWRITE_DELIVERY)


def _unreadable(delivery_folders: list[str], why: str) -> DeliveryChoice:
    if not delivery_folders:  # overwrite mode: the files are in the period folder
        return DeliveryChoice(OVERWRITE_DELIVERY)
    return DeliveryChoice(
        NO_DELIVERY, f"{why}, and the period holds {len(delivery_folders)} delivery folders"
    )
