"""Each in-memory fake does what its real adapter does: one scenario, run on the fake and on the
adapter over the template's resources in moto (LocalAws), must observe the same things."""

from __future__ import annotations

import functools
from datetime import date
from types import SimpleNamespace

import pytest

from alb_egress import ports
from alb_egress.inventory import EniCreated, EniDeleted
from aws_adapters import objects
from aws_adapters.inventory_table import InventoryTable
from aws_adapters.member_accounts import MemberInterfaces
from aws_adapters.results_table import ResultsTable

from .fakes import InMemoryInterfaces, InMemoryInventory, InMemoryObjects, InMemoryResults

ARN = "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/web/0123456789abcdef"
OBJECT_FUNCTIONS = [name for name in dir(ports.ObjectStore) if not name.startswith("_")]


@pytest.fixture(scope="module")
def real_aws():
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    with LocalAws(parameters=PLACEHOLDER_PARAMETERS) as aws:
        yield aws


def real_objects(aws) -> ports.ObjectStore:
    s3 = aws.client("s3")
    bound = {name: functools.partial(getattr(objects, name), s3=s3) for name in OBJECT_FUNCTIONS}
    return SimpleNamespace(**bound)  # type: ignore[return-value]


def object_scenario(store: ports.ObjectStore, bucket: str) -> list[object]:
    seen: list[object] = []
    csv_at = store.put_csv(
        bucket, "t/enis/date=2026-11-20/enis.csv", [("eni-1", "a,b", ""), ("eni-2", "x", "y")]
    )
    seen += [csv_at, store.get_csv(csv_at)]
    json_at = store.put_json(bucket, "t/reconciliations/date=2026-11-20/results.json", {"results": [1.5]})
    seen += [store.get_json_object(json_at), store.get_json(json_at)]
    store.put_json(bucket, "t/diagnoses/date=2026-11-20/run.json", [{"kind": "X"}])
    with pytest.raises(ValueError, match="does not hold a JSON object"):
        store.get_json_object(objects.s3_uri(bucket, "t/diagnoses/date=2026-11-20/run.json"))
    lines_at = store.put_json_lines(
        bucket, "t/history/date=2026-11-20/results.json.gz", [{"a": 1}, {"b": None}]
    )
    seen += [lines_at, store.first_line(bucket, "t/history/date=2026-11-20/results.json.gz")]
    seen += [
        store.get_json_or_none(bucket, "t/nothing.json"),
        store.get_json_or_none(bucket, "t/diagnoses/date=2026-11-20/run.json"),
    ]
    seen += [
        store.list_keys(bucket, "t/"),
        store.list_keys(bucket, "t/history/"),
        store.list_keys(bucket, "u/"),
    ]
    seen += [store.first_key(bucket, "t/reconciliations/"), store.first_key(bucket, "t/none/")]
    seen += [
        store.subfolders(bucket, "t/"),
        store.subfolders(bucket, "t/enis/"),
        store.subfolders(bucket, "t/enis/date=2026-11-20/"),
    ]
    return seen


def inventory_scenario(inventory: ports.Inventory) -> list[object]:
    def created(eni: str, at: str | None, source: str = "event") -> EniCreated:
        return EniCreated(eni, "web", ARN, "app", at, "vpc-01234567", "subnet-01234567", "eu-west-1a", source)

    inventory.record_deleted(EniDeleted("eni-00000001", "2026-11-21T08:00:00Z"))  # before its create
    inventory.record_created(created("eni-00000001", "2026-11-20T10:00:00Z"))
    inventory.record_created(created("eni-00000002", "2026-11-19T10:00:00Z"))
    inventory.record_deleted(EniDeleted("eni-00000002", "2026-11-20T00:00:00Z"))
    inventory.record_deleted(EniDeleted("eni-00000002", "2026-11-22T00:00:00Z"))  # the first one wins
    wrote = [
        inventory.record_discovered(created("eni-00000002", None, "discovery")),  # event data kept
        inventory.record_discovered(created("eni-00000003", None, "discovery")),
        inventory.record_discovered(created("eni-00000003", "2026-11-01T00:00:00Z", "discovery")),
    ]
    inventory.record_deleted(EniDeleted("eni-00000009", "2026-11-20T12:00:00Z"))  # never an ALB's
    inventory.register_member_stack("210987654321", "eu-west-1", "2026-11-01T00:00:00Z")
    inventory.register_member_stack("210987654321", "eu-west-1", "2026-11-02T00:00:00Z")
    days = [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    alive = {d.isoformat(): sorted(inventory.records_alive_on(d), key=lambda r: r.eni_id) for d in days}
    return [
        wrote,
        alive,
        inventory.records_alive_on(date(2026, 11, 20), "network"),
        inventory.member_stacks(),
    ]


def results_scenario(results: ports.Results) -> list[object]:
    def item(name: str, day: str = "2026-11-20", **values: object) -> dict:
        return {
            "date": day,
            "load_balancer_arn": ARN.replace("/web/", f"/{name}/"),
            "load_balancer": name,
        } | values

    seen: list[object] = [results.items_of_day("2026-11-20")]
    seen.append(results.replace_day("2026-11-20", [item("web", cur_gb=1.5), item("api", note=None)], "run-1"))
    seen.append(results.items_of_day("2026-11-20"))
    seen.append(results.replace_day("2026-11-20", [item("api", cur_gb=2.0)], "run-2"))
    seen += [results.items_of_day("2026-11-20"), results.items_of_day("2026-11-21")]
    with pytest.raises(ValueError, match="another day"):
        results.replace_day("2026-11-21", [item("web")])
    return seen


def test_objects_fake_matches_the_s3_adapter(real_aws):
    bucket = real_aws.ref("AthenaResultsBucket")
    real = object_scenario(real_objects(real_aws), bucket)
    assert object_scenario(InMemoryObjects(), bucket) == real
    assert real[1] == [["eni-1", "a,b", ""], ["eni-2", "x", "y"]]  # the scenario observes something


def test_inventory_fake_matches_the_dynamodb_adapter(real_aws):
    real = inventory_scenario(InventoryTable(real_aws.ref("EniInventoryTable"), real_aws.client("dynamodb")))
    assert inventory_scenario(InMemoryInventory()) == real
    wrote, alive, _, member_stacks = real
    assert wrote == [False, True, True]
    assert [r.eni_id for r in alive["2026-11-20"]] == ["eni-00000001", "eni-00000002", "eni-00000003"]
    assert member_stacks == {("210987654321", "eu-west-1")}


def test_results_fake_matches_the_dynamodb_adapter(real_aws):
    real = results_scenario(ResultsTable(real_aws.ref("ResultsTable"), real_aws.client("dynamodb")))
    fake = results_scenario(InMemoryResults())

    def comparable(value: object) -> object:  # the generation names a write: the fake keeps none
        if isinstance(value, list):
            return [comparable(v) for v in value]
        return {k: v for k, v in value.items() if k != "generation"} if isinstance(value, dict) else value

    assert comparable(fake) == comparable(real)
    assert real[3] == 1  # the second night removed the ALB it no longer has


def test_interfaces_fake_filters_descriptions_as_ec2_does(real_aws):
    ec2 = real_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    for description in (
        "ELB app/web/50dc6c495c0c9188",
        "ELB net/tcp/50dc6c495c0c9188",
        "ELB web-classic",  # a Classic Load Balancer's
        "ELB app/",
        "elb app/web/50dc6c495c0c9188",
        "Primary network interface",
    ):
        ec2.create_network_interface(SubnetId=subnet["SubnetId"], Description=description)
    own = real_aws.account
    real = MemberInterfaces(own, "albrecon-member-discovery").elb_interfaces(own, real_aws.region)
    described = ec2.describe_network_interfaces()["NetworkInterfaces"]
    fake = InMemoryInterfaces(by_place={(own, real_aws.region): described}).elb_interfaces(
        own, real_aws.region
    )
    assert sorted(i["Description"] for i in fake) == sorted(i["Description"] for i in real)
    assert sorted(i["Description"] for i in real) == [
        "ELB app/",
        "ELB app/web/50dc6c495c0c9188",
        "ELB net/tcp/50dc6c495c0c9188",
    ]
