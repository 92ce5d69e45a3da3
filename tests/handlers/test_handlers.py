"""The handlers as deployed code (Powertools decorators and all) over in-memory adapters, with the
environment template.yaml gives each function: milliseconds a test. `LocalAws` (tests/functions,
tests/e2e) stays the integration layer: IAM, the state machine, the real SQL."""

from __future__ import annotations

import gzip
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from alb_egress.diagnosis import CUR_REQUIRED_COLUMNS
from alb_egress.inventory import EniCreated, EniDeleted
from albrecon.local.lambdas import LambdaContext

from .fakes import (
    InMemoryDeadLetters,
    InMemoryInterfaces,
    InMemoryInventory,
    InMemoryObjects,
    InMemoryQueryResults,
    InMemoryResults,
    environment,
    template_yaml,
)

DAY = date(2026, 11, 20)
ACCOUNT, REGION = "123456789012", "us-east-1"


def arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/50dc6c495c0c9188"


def created(eni: str, name: str, at: str | None = "2026-11-19T10:00:00Z", **where: str) -> EniCreated:
    return EniCreated(
        eni, name, arn(name, **where), "app", at, "vpc-01234567", "subnet-01234567", "", "event"
    )


@dataclass
class Function:
    variables: dict[str, str]  # its environment, as the template gives it
    handler: Callable
    context: LambdaContext

    def invoke(self, event: dict, **adapters: object):
        """As Lambda invokes: the event and the answer pass through JSON."""
        answer = self.handler(json.loads(json.dumps(event)), self.context, **adapters)
        return json.loads(json.dumps(answer))


@pytest.fixture
def cold_start(monkeypatch):
    """``cold_start(logical_id, **parameters)``: the function's module imported afresh under the
    environment the template gives it (its module-level Powertools objects read it, as in Lambda)."""

    def start(logical_id: str, **parameters: str) -> Function:
        variables = environment(logical_id, **parameters)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        module_name, name = template_yaml().resources[logical_id]["Properties"]["Handler"].rsplit(".", 1)
        monkeypatch.delitem(sys.modules, module_name, raising=False)
        handler = getattr(importlib.import_module(module_name), name)
        function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
        return Function(variables, handler, LambdaContext(logical_id, function_arn, 256, 60))

    return start


def test_recorder_records_a_create_then_its_delete(cold_start, event):
    recorder = cold_start("EniRecorderFunction")
    inventory, parked = InMemoryInventory(), InMemoryDeadLetters()
    for name, outcome in (("create_alb_eni", "created"), ("delete_alb_eni", "deleted")):
        answer = recorder.invoke(event(name), inventory=inventory, parking=parked)
        assert answer == {"outcome": outcome, "eni_id": "eni-0a1b2c3d4e5f60001"}
    item = inventory.items["eni-0a1b2c3d4e5f60001"]
    assert (item["load_balancer_name"], item["created_at"], item["deleted_at"]) == (
        "web-prod",
        "2026-11-20T09:14:03Z",
        "2026-11-21T17:02:45Z",
    )
    assert [r.eni_id for r in inventory.records_alive_on(date(2026, 11, 21))] == ["eni-0a1b2c3d4e5f60001"]
    assert inventory.records_alive_on(date(2026, 11, 22)) == []
    assert parked.bodies == []


@pytest.mark.parametrize("name", ["malformed_delete_bad_eni_id", "malformed_event_time"])
def test_recorder_parks_a_malformed_event_and_writes_nothing(cold_start, event, name):
    recorder = cold_start("EniRecorderFunction")
    inventory, parked = InMemoryInventory(), InMemoryDeadLetters()
    answer = recorder.invoke(event(name), inventory=inventory, parking=parked)
    assert answer["outcome"] == "malformed"
    assert parked.bodies == [{"reason": answer["reason"], "event": event(name)}]
    assert inventory.items == {}


def test_find_enis_writes_the_day_table_of_the_albs_alive_that_day(cold_start):
    find_enis = cold_start("EnisFunction", Accounts=f"{ACCOUNT},210987654321", Regions="us-east-1,eu-west-1")
    inventory, store = InMemoryInventory(), InMemoryObjects()
    inventory.record_created(created("eni-00000001", "web"))
    inventory.record_created(created("eni-00000002", "web", at="2026-11-20T12:00:00Z"))
    inventory.record_created(created("eni-00000003", "api", account="210987654321", region="eu-west-1"))
    inventory.record_created(created("eni-00000004", "old"))
    inventory.record_deleted(EniDeleted("eni-00000004", "2026-11-19T23:59:59Z"))  # gone before D
    inventory.record_created(created("eni-00000005", "new", at="2026-11-21T00:00:00Z"))  # after D

    answer = find_enis.invoke({"date": DAY.isoformat()}, inventory=inventory, store=store)

    assert (answer["eni_count"], answer["alb_count"], answer["accounts_regions"]) == (3, 2, 2)
    assert answer["enis_location"].startswith(f"s3://{find_enis.variables['ResultsBucket']}/")
    rows = store.get_csv(answer["enis_location"])
    assert sorted(row[0] for row in rows) == ["eni-00000001", "eni-00000002", "eni-00000003"]
    assert sorted(tuple(p) for group in answer["partition_groups"] for p in group) == [
        ("123456789012", "us-east-1"),
        ("210987654321", "eu-west-1"),
    ]
    assert answer["albs_out_of_scope"] == 0


def test_find_enis_names_what_the_scope_left_out_when_nothing_is_in_it(cold_start):
    find_enis = cold_start("EnisFunction", LoadBalancerNames="checkout")
    inventory, store = InMemoryInventory(), InMemoryObjects()
    inventory.record_created(created("eni-00000001", "web"))
    inventory.record_created(created("eni-00000002", "api"))
    answer = find_enis.invoke({"date": DAY.isoformat()}, inventory=inventory, store=store)
    assert (answer["eni_count"], answer["albs_out_of_scope"]) == (0, 2)
    assert answer["out_of_scope_places"] == [[ACCOUNT, REGION, 2]]
    assert store.get_csv(answer["enis_location"]) == []


def _compare_event(store: InMemoryObjects, queries: InMemoryQueryResults, bucket: str, cur_gb: float) -> dict:
    """One ALB with one ENI all day, its flow log covering every hour; the CUR bills ``cur_gb``.
    The rows carry the columns the queries select (athena/*.sql) that Compare reads."""
    enis = store.put_csv(bucket, "enis/x.csv", [("eni-00000001", arn("web"), ACCOUNT, REGION, "", "")])
    survey = store.put_json(
        bucket,
        "diagnoses/x.survey.json",
        {"flow_logs": {"fl-1": {"account": ACCOUNT, "region": REGION, "hours": list(range(24))}}},
    )
    problems = store.put_json(bucket, "diagnoses/x.json", [])
    flow = {"account_id": ACCOUNT, "region": REGION, "flow_log_id": "fl-1", "records": 1000}
    flow |= {"interface_id": "eni-00000001", "load_balancer_arn": arn("web"), "egress_bytes": 5 * 2**30}
    flow |= {"egress_records": 1000, "egress_with_traffic_path": 1000}
    cur = {"load_balancer_arn": arn("web"), "usage_gb": cur_gb, "unblended_cost": cur_gb * 0.09}
    cur |= {"inter_region_gb": 0, "same_region_gb": 0, "internet_lines": 1, "net_cost_lines": 0}
    freshness = {"covered_until": "2026-11-21 05:00:00.000", "line_items": 40, "usage_lines": 30}
    freshness |= {"daily_usage_lines": 30, "elb_transfer_rows": 1, "elb_transfer_rows_with_resource_id": 1}
    freshness |= dict.fromkeys(CUR_REQUIRED_COLUMNS, 40)
    return {
        "date": DAY.isoformat(),
        "enis_location": enis,
        "survey_location": survey,
        "problems_location": problems,
        "flow_query_id": queries.add("q-flow", [flow]),
        "cur_query_id": queries.add("q-cur", [cur]),
        "freshness_query_id": queries.add("q-freshness", [freshness]),
        "status_query_id": queries.add("q-status", []),
        "egress_split": True,
    }


@pytest.mark.parametrize(("cur_gb", "status", "alerted"), [(5.0, "MATCH", 0), (6.0, "MISMATCH", 1)])
def test_compare_then_notify_over_the_results_object(cold_start, cur_gb, status, alerted):
    compare, notify = cold_start("CompareFunction"), cold_start("NotifyFunction")
    store, queries = InMemoryObjects(), InMemoryQueryResults()
    request = _compare_event(store, queries, compare.variables["ResultsBucket"], cur_gb)

    summary = compare.invoke(request, store=store, queries=queries)

    assert (summary["albs"], summary["alerted_count"], summary["cur_covers_day"]) == (1, alerted, True)
    assert summary["statuses"] == {status: 1}
    [result] = store.get_json_object(summary["results_location"])["results"]
    assert (result["load_balancer"], result["status"]) == ("web", status)
    assert (result["flow_log_gb"], result["cur_gb"]) == (pytest.approx(5.0), pytest.approx(cur_gb))
    assert [d["delta_gb"] for d in summary["largest_deltas"]] == ([-1.0] if alerted else [])

    email = notify.invoke({"kind": "alert", "comparison": summary, "execution_id": None}, store=store)
    assert DAY.isoformat() in email["subject"]
    assert ("web" in email["message"]) == bool(alerted)


def test_persist_replaces_the_day_and_writes_it_for_athena(cold_start):
    persist = cold_start("PersistFunction")
    store, results = InMemoryObjects(), InMemoryResults()
    bucket = persist.variables["ResultsBucket"]

    def night(names: list[str], execution: str) -> dict:
        where: dict[str, object] = {"date": DAY.isoformat(), "account_id": ACCOUNT, "region": REGION}
        rows = [
            where | {"load_balancer_arn": arn(n), "load_balancer": n, "status": "MATCH", "cur_gb": 1.0}
            for n in names
        ]
        location = store.put_json(bucket, "reconciliations/x.json", {"results": rows})
        event = {"comparison": {"date": DAY.isoformat(), "alerted_count": 0, "results_location": location}}
        event |= {"queries": {"flow": {"data_scanned_bytes": 700}, "cur": {"data_scanned_bytes": 300}}}
        return persist.invoke(event | {"execution_id": execution}, results=results, store=store)

    assert night(["web", "api"], "run-1") == {"date": DAY.isoformat(), "stored": 2, "removed_stale": 0}
    assert night(["web"], "run-2") == {"date": DAY.isoformat(), "stored": 1, "removed_stale": 1}
    [stored] = results.items_of_day(DAY.isoformat())
    assert (stored["load_balancer"], stored["execution_arn"], stored["data_scanned_bytes"]) == (
        "web",
        "run-2",
        1000,
    )
    [history_key] = store.list_keys(bucket, "history/")
    assert history_key == f"history/date={DAY.isoformat()}/results.json.gz"
    lines = gzip.decompress(store.objects[bucket, history_key]).decode().splitlines()
    assert [json.loads(line)["load_balancer"] for line in lines] == ["web"]
    assert all("date" not in json.loads(line) for line in lines)  # the partition carries it


def test_notify_never_echoes_a_date_that_does_not_validate(cold_start):
    notify = cold_start("NotifyFunction")
    hostile = "2026-11-20'; DROP TABLE x; --"
    failure = {"failure": {"FindEnis": {"Error": "States.TaskFailed", "Cause": "boom"}}}
    email = notify.invoke(
        {"kind": "failure", "state": failure, "input": {"date": hostile}}, store=InMemoryObjects()
    )
    assert "FindEnis" in email["message"]
    assert hostile not in email["message"] and hostile not in email["subject"]


def interface(
    eni: str,
    description: str,
    owner: str = ACCOUNT,
    attached: datetime | None = datetime(2026, 11, 18, tzinfo=UTC),
) -> dict:
    """One ENI as DescribeNetworkInterfaces describes it (boto3 parses AttachTime)."""
    found = {"NetworkInterfaceId": eni, "Description": description, "OwnerId": owner}
    found |= {"VpcId": "vpc-01234567", "SubnetId": "subnet-01234567", "AvailabilityZone": "eu-west-1a"}
    return found | ({"Attachment": {"AttachTime": attached}} if attached else {})


def test_discovery_lists_every_place_and_counts_the_one_it_cannot_reach(cold_start):
    member = "210987654321"
    discovery = cold_start(
        "EniDiscoveryFunction", Accounts=f"{ACCOUNT},{member}", Regions="us-east-1,eu-west-1"
    )
    inventory = InMemoryInventory()
    inventory.record_created(created("eni-00000001", "web"))  # an event's data: discovery keeps it
    interfaces = InMemoryInterfaces(
        by_place={
            (ACCOUNT, REGION): [
                interface("eni-00000001", "ELB app/web/50dc6c495c0c9188"),
                interface("eni-00000002", "ELB app/web/50dc6c495c0c9188", attached=None),
                interface("eni-00000003", "Primary network interface"),
            ],
            (member, "eu-west-1"): [interface("eni-00000004", "ELB app/api/50dc6c495c0c9188", owner=member)],
        },
        unreachable={(member, REGION)},
    )

    counts = discovery.invoke({}, inventory=inventory, interfaces=interfaces)

    assert (counts["targets"], counts["unreachable"]) == (4, 1)  # every account x region of the scope
    assert (counts["seen"], counts["written"], counts["kept_event_data"]) == (3, 2, 1)
    assert counts["unknown_created_time"] == 1
    assert inventory.items["eni-00000004"]["account_id"] == member
    assert inventory.items["eni-00000004"]["source"] == "discovery"
    assert inventory.items["eni-00000001"]["source"] == "event"
