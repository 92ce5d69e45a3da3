"""VPC Flow Logs record formats: the ``${field}`` format string and the Athena columns it implies."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every field AWS documents (v2..v5), in AWS's documented order, with the Athena type AWS's DDL uses.
FIELD_TYPES: dict[str, str] = {
    "version": "int",
    "account-id": "string",
    "interface-id": "string",
    "srcaddr": "string",
    "dstaddr": "string",
    "srcport": "int",
    "dstport": "int",
    "protocol": "bigint",
    "packets": "bigint",
    "bytes": "bigint",
    "start": "bigint",
    "end": "bigint",
    "action": "string",
    "log-status": "string",
    "vpc-id": "string",
    "subnet-id": "string",
    "instance-id": "string",
    "tcp-flags": "int",
    "type": "string",
    "pkt-srcaddr": "string",
    "pkt-dstaddr": "string",
    "region": "string",
    "az-id": "string",
    "sublocation-type": "string",
    "sublocation-id": "string",
    "pkt-src-aws-service": "string",
    "pkt-dst-aws-service": "string",
    "flow-direction": "string",
    "traffic-path": "int",
    # v7: Amazon ECS (flow-log-records.html)
    "ecs-cluster-arn": "string",
    "ecs-cluster-name": "string",
    "ecs-container-instance-arn": "string",
    "ecs-container-instance-id": "string",
    "ecs-container-id": "string",
    "ecs-second-container-id": "string",
    "ecs-service-name": "string",
    "ecs-task-definition-arn": "string",
    "ecs-task-arn": "string",
    "ecs-task-id": "string",
    # later versions: why traffic was rejected (VPC Block Public Access), the resource, encryption
    # (names as in public flow-log formats; unconfirmed against the AWS table here - see the note)
    "reject-reason": "string",
    "resource-id": "string",
    "encryption-status": "string",
}
V5_FIELDS = list(FIELD_TYPES)[:29]
DEFAULT_V2_FIELDS = list(FIELD_TYPES)[:14]
# The default FlowLogFormat: every v5 field in AWS's order (what the product has always assumed).
ALL_FIELDS_FORMAT = " ".join(f"${{{name}}}" for name in V5_FIELDS)

# What the reconciliation reads; a format without these cannot tell internet egress apart.
REQUIRED_FIELDS = ("interface-id", "bytes", "start", "action", "log-status", "flow-direction", "traffic-path")

_TOKEN_RE = re.compile(r"^\$\{([a-z0-9-]+)\}\Z")
# how AWS names flow-log fields (lower case, hyphens): a header line's tokens of this form are field
# names, even those this list does not know yet
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")


class InvalidFlowLogFormat(ValueError):
    """`FlowLogFormat` is not a flow log format string this system can read."""


@dataclass(frozen=True, slots=True)
class FlowLogFormat:
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str | None) -> FlowLogFormat:
        """``${version} ${account-id} ...`` -> fields in order. Rejects unknown or repeated fields."""
        tokens = (text or ALL_FIELDS_FORMAT).split()
        fields = []
        for token in tokens:
            match = _TOKEN_RE.match(token)
            if match is None or match[1] not in FIELD_TYPES:
                raise InvalidFlowLogFormat(
                    f"unknown flow log field {token[:60]!r} in FlowLogFormat: give the flow log's format "
                    "string exactly, ${field} tokens separated by single spaces"
                )
            fields.append(match[1])
        if len(set(fields)) != len(fields):
            raise InvalidFlowLogFormat("FlowLogFormat repeats a field")
        missing = [f for f in REQUIRED_FIELDS if f not in fields]
        if missing:
            raise InvalidFlowLogFormat(
                "FlowLogFormat lacks fields the reconciliation needs: "
                + ", ".join(f"${{{f}}}" for f in missing)
            )
        return cls(fields=tuple(fields))

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(Athena column name, Athena type) in the file's order: hyphens become underscores."""
        # a field AWS added after this list (named in a file's header line) is read as a string
        return [(column_name(f), FIELD_TYPES.get(f, "string")) for f in self.fields]

    @property
    def header(self) -> str:
        """The first line of every text flow log file: the field names, space-separated."""
        return " ".join(self.fields)

    def format_string(self) -> str:
        return " ".join(f"${{{f}}}" for f in self.fields)


def column_name(field: str) -> str:
    return field.replace("-", "_")
