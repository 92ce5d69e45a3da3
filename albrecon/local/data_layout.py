"""Which account and region a local data directory belongs to (docs/DESIGN.md §5).

The local stack runs as the account and region of the data: the flow-log folders under
``s3/<FlowLogsBucket>/<prefix>/AWSLogs/`` (AWS's default layout or the Hive-compatible one) and
the CloudTrail events name them. One of each: that is the stack's. Several: the caller must say
which (``--account-id`` / ``--region`` or ``AWS::AccountId`` / ``AWS::Region`` in
parameters.json). None: an error that says so. Never a silent default that reads no files.
"""

from __future__ import annotations

import re
from pathlib import Path

from alb_egress.identity import ACCOUNT_RE, REGION_RE

_HIVE_ACCOUNT = re.compile(r"^aws-account-id=(\d{12})\Z")
_HIVE_REGION = re.compile(r"^aws-region=([a-z0-9-]+)\Z")


class DataLayoutError(ValueError):
    """The data directory does not say, or says ambiguously, which account and region it is."""


def accounts_and_regions(data_dir: Path, parameters: dict, events: list[dict]) -> tuple[set[str], set[str]]:
    """Every account and region the flow-log folders and the events name."""
    accounts: set[str] = set()
    regions: set[str] = set()
    bucket = str(parameters.get("FlowLogsBucket", ""))
    prefix = str(parameters.get("FlowLogsPrefix", "")).strip("/")
    root = Path(data_dir) / "s3" / bucket / prefix / "AWSLogs" if bucket else None
    if root is not None and root.is_dir():
        for account_dir in root.iterdir():
            hive = _HIVE_ACCOUNT.match(account_dir.name)
            account = hive[1] if hive else account_dir.name
            if not ACCOUNT_RE.match(account):
                continue
            service = account_dir / ("aws-service=vpcflowlogs" if hive else "vpcflowlogs")
            if not service.is_dir():
                continue
            for region_dir in service.iterdir():
                match = _HIVE_REGION.match(region_dir.name) if hive else None
                region = match[1] if match else region_dir.name
                if REGION_RE.match(region):
                    accounts.add(account)
                    regions.add(region)
    for event in events:
        account, region = event.get("account"), event.get("region")
        if isinstance(account, str) and ACCOUNT_RE.match(account):
            accounts.add(account)
        if isinstance(region, str) and REGION_RE.match(region):
            regions.add(region)
    return accounts, regions


def stack_account_and_region(data_dir: Path, parameters: dict, events: list[dict]) -> tuple[str, str]:
    """``parameters``' AWS::AccountId / AWS::Region where given, else the data's only one."""
    accounts, regions = accounts_and_regions(data_dir, parameters, events)
    chosen = []
    for key, found, flag in (
        ("AWS::AccountId", accounts, "--account-id"),
        ("AWS::Region", regions, "--region"),
    ):
        if parameters.get(key):
            chosen.append(str(parameters[key]))
        elif len(found) == 1:
            chosen.append(next(iter(found)))
        elif not found:
            where = "/".join(
                p
                for p in (
                    "s3",
                    str(parameters.get("FlowLogsBucket", "<FlowLogsBucket>")),
                    str(parameters.get("FlowLogsPrefix", "")).strip("/"),
                    "AWSLogs",
                )
                if p
            )
            raise DataLayoutError(
                f"cannot tell the stack's {key.split('::')[1]}: no flow-log folder under {where}/ "
                f"and no event names one; give {flag} (or {key} in parameters.json)"
            )
        else:
            raise DataLayoutError(
                f"the data holds several {key.split('::')[1]} values ({', '.join(sorted(found))}): "
                f"give the stack's with {flag} (or {key} in parameters.json), and the scope with "
                "the Accounts / Regions parameters"
            )
    return chosen[0], chosen[1]


class ParametersFileError(ValueError):
    """``parameters.json`` is not what the local stack can take; the message says what is."""


PSEUDO_PARAMETERS = ("AWS::AccountId", "AWS::Region")


def read_parameters(data_dir: Path, known: list[str] | None = None) -> dict[str, str]:
    """``DIR/parameters.json`` (none: no parameters): a JSON object of template parameter names
    (or AWS::AccountId / AWS::Region) to values. ``known``: the template's parameter names - a name
    that is none of them is refused, with the nearest one suggested (a typo such as
    ``TolerancePercnt`` must not silently leave the default in force)."""
    import difflib
    import json

    path = data_dir / "parameters.json"
    if not path.exists():
        return {}
    try:
        values = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ParametersFileError(f"{path} is not JSON ({error})") from None
    if not isinstance(values, dict):
        raise ParametersFileError(
            f'{path} must be a JSON object of parameter names to values, e.g. {{"TolerancePercent": "1"}}'
        )
    bad = [k for k, v in values.items() if not isinstance(v, str | int | float) or isinstance(v, bool)]
    if bad:
        raise ParametersFileError(f"{path}: the value of {bad[0]} must be a string or a number")
    if known is not None:
        names = [*known, *PSEUDO_PARAMETERS]
        for name in sorted(set(values) - set(names)):
            near = difflib.get_close_matches(name, names, n=1)
            raise ParametersFileError(
                f"{path}: {name} is not a template parameter"
                + (f" - did you mean {near[0]}?" if near else "")
            )
    return {k: str(v) for k, v in values.items()}
