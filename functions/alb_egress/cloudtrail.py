"""CloudTrail ``Create/DeleteNetworkInterface`` events (via EventBridge) -> inventory changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .identity import ENI_ID_RE, InvalidIdentifier, parse_eni_description
from .inventory import SOURCE_EVENT, EniCreated, EniDeleted
from .timeutil import InvalidDate, normalize_instant

CREATE = "CreateNetworkInterface"
DELETE = "DeleteNetworkInterface"


# pydantic's default (Rust) regex engine has no \Z; its $ already means the end of the text.
_RUST_ENI_ID = ENI_ID_RE.pattern.replace("\\Z", "$")


class MalformedEvent(ValueError):
    """The event is not a well-formed CloudTrail ENI event; nothing may be written for it."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _NetworkInterface(_Loose):
    network_interface_id: str = Field(alias="networkInterfaceId", pattern=_RUST_ENI_ID)
    description: str | None = None
    vpc_id: str | None = Field(default=None, alias="vpcId")
    subnet_id: str | None = Field(default=None, alias="subnetId")
    availability_zone: str | None = Field(default=None, alias="availabilityZone")


class _CreateResponse(_Loose):
    network_interface: _NetworkInterface = Field(alias="networkInterface")


class _RequestParameters(_Loose):
    description: str | None = None
    subnet_id: str | None = Field(default=None, alias="subnetId")
    network_interface_id: str | None = Field(default=None, alias="networkInterfaceId")


class CloudTrailDetail(_Loose):
    event_name: Literal["CreateNetworkInterface", "DeleteNetworkInterface"] = Field(alias="eventName")
    event_time: str = Field(alias="eventTime")
    event_source: Literal["ec2.amazonaws.com"] = Field(alias="eventSource")
    aws_region: str | None = Field(default=None, alias="awsRegion")
    recipient_account_id: str | None = Field(default=None, alias="recipientAccountId")
    error_code: str | None = Field(default=None, alias="errorCode")
    error_message: str | None = Field(default=None, alias="errorMessage")
    request_parameters: _RequestParameters | None = Field(default=None, alias="requestParameters")
    response_elements: dict | None = Field(default=None, alias="responseElements")


class CloudTrailEniEvent(EventBridgeModel):
    detail: CloudTrailDetail


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event that is understood but changes nothing (a failed call, a non-ELB ENI)."""

    reason: str
    eni_id: str | None = None


Change = EniCreated | EniDeleted | Ignored


def parse_event(event: object) -> CloudTrailEniEvent:
    try:
        return CloudTrailEniEvent.model_validate(event)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise MalformedEvent(f"not a CloudTrail ENI event ({problems})") from None


def change_from_event(event: object) -> Change:
    """What an EventBridge "AWS API Call via CloudTrail" ENI event means for the inventory.

    Raises MalformedEvent when the event cannot be trusted; nothing must be written then.
    """
    parsed = parse_event(event)
    detail = parsed.detail
    if detail.error_code:
        # A failed API call created or deleted nothing.
        return Ignored(reason=f"api_error:{detail.error_code}")
    try:
        when = normalize_instant(detail.event_time)
    except InvalidDate as exc:
        raise MalformedEvent(str(exc)) from None
    if detail.event_name == DELETE:
        eni_id = detail.request_parameters.network_interface_id if detail.request_parameters else None
        if not isinstance(eni_id, str) or not ENI_ID_RE.match(eni_id):
            raise MalformedEvent(f"DeleteNetworkInterface without a valid networkInterfaceId: {eni_id!r}")
        return EniDeleted(eni_id=eni_id, deleted_at=when)
    return _created(parsed, when)


def _created(parsed: CloudTrailEniEvent, when: str) -> Change:
    detail = parsed.detail
    try:
        interface = _CreateResponse.model_validate(detail.response_elements or {}).network_interface
    except ValidationError:
        raise MalformedEvent("CreateNetworkInterface without responseElements.networkInterface") from None
    description = interface.description
    if description is None and detail.request_parameters:
        description = detail.request_parameters.description
    load_balancer = parse_eni_description(description)
    if load_balancer is None:
        return Ignored(reason="not_an_elb_eni", eni_id=interface.network_interface_id)
    account = detail.recipient_account_id or parsed.account
    region = detail.aws_region or parsed.region
    try:
        arn = load_balancer.arn(account, region)
    except InvalidIdentifier as exc:
        raise MalformedEvent(str(exc)) from None
    subnet = interface.subnet_id or (
        detail.request_parameters.subnet_id if detail.request_parameters else None
    )
    return EniCreated(
        eni_id=interface.network_interface_id,
        load_balancer_name=load_balancer.name,
        load_balancer_arn=arn,
        load_balancer_type=load_balancer.type,
        created_at=when,
        vpc_id=interface.vpc_id,
        subnet_id=subnet,
        availability_zone=interface.availability_zone,
        source=SOURCE_EVENT,
    )
