"""moto's DynamoDB answers exactly the same with the local runtime's speed hooks as without them
(albrecon/local/hooks.py: the UpdateExpression parse memo, the action-count check at the root,
the depth-first walk, the overlapping-paths check, the pickle copy, the AttributeValue
serializer, the projection and the item size check)."""

import os
import re

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

TABLE = "hooks-probe"


def calls(dynamodb) -> list:
    """Every kind of request the hooks touch, and requests moto refuses; what each answered."""
    answers = []

    def call(method: str, **kwargs):
        try:
            answer = getattr(dynamodb, method)(**kwargs)
            answer.pop("ResponseMetadata", None)
            answers.append((method, answer))
        except ClientError as error:
            answers.append((method, error.response["Error"]["Code"], error.response["Error"]["Message"]))

    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
            {"AttributeName": "until", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByUntil",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "until", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    rich = {
        "S": {"S": "text"},
        "N": {"N": "12.50"},
        "BOOL": {"BOOL": False},
        "NULL": {"NULL": True},
        "SS": {"SS": ["a", "b"]},
        "NS": {"NS": ["1", "2"]},
        "M": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"BOOL": True}}}]}}},
        "B": {"B": b"\x00\xffbytes"},
        "BS": {"BS": [b"one", b"two"]},
        "E": {"S": ""},
    }
    for n in range(6):
        names = {f"#a{i}": name for i, name in enumerate(sorted(rich))}
        values = {f":v{i}": rich[name] for i, name in enumerate(sorted(rich))}
        sets = [f"#a{i} = :v{i}" for i in range(len(rich))]
        call(
            "update_item",
            TableName=TABLE,
            Key={"id": {"S": f"item-{n}"}},
            UpdateExpression="SET "
            + ", ".join(sets)
            + ", kind = :k, #u = if_not_exists(#d, :far) REMOVE gone",
            ExpressionAttributeNames=names | {"#u": "until", "#d": "deleted"},
            ExpressionAttributeValues=values | {":k": {"S": "app"}, ":far": {"S": "9999"}},
            ReturnValues="ALL_NEW",
        )
        call(
            "update_item",
            TableName=TABLE,
            Key={"id": {"S": f"item-{n}"}},
            UpdateExpression="SET deleted = if_not_exists(deleted, :d), #u = if_not_exists(deleted, :d)",
            ConditionExpression="attribute_exists(kind)" if n % 2 else "attribute_not_exists(kind)",
            ExpressionAttributeNames={"#u": "until"},
            ExpressionAttributeValues={":d": {"S": f"2026-11-2{n}"}},
            ReturnValues="UPDATED_OLD",
        )
    # refused by moto's validator: two SET clauses, overlapping paths, a key attribute, a bad type
    for refused in ("SET a = :v SET b = :v", "SET a = :v, a.b = :v", "SET id = :v", "SET N = N + :v"):
        call(
            "update_item",
            TableName=TABLE,
            Key={"id": {"S": "item-1"}},
            UpdateExpression=refused,
            ExpressionAttributeValues={":v": {"S": "1"}},
        )
    # the plain shapes the fast update path takes, and each check that sends one back to moto
    plain_shapes = [
        ("SET  a=:v ,b = if_not_exists( b , :w ) REMOVE gone, #r", {"#r": "S"}),
        ("set c = :v remove a", None),
        ("REMOVE b SET c = :w", None),
        ("SET kind = if_not_exists(N, :v)", None),  # the kept value is an N: a type mismatch
        ("SET #u = if_not_exists(S, :w)", {"#u": "until"}),  # an S: fine
        ("SET size = :v", None),  # a reserved word as a bare name
        ("SET a = :missing, b = :v", None),
        ("SET a = if_not_exists(id, :v)", None),  # a key attribute read
        ("REMOVE id SET a = :v", None),
        ("SET kind = :n", None),
        ("SET kind = :e", None),
        ("SET a = :v REMOVE a", None),
        ("SET a = :v, #a = :w", {"#a": "a"}),
    ]
    values = {":v": {"S": "text"}, ":w": {"M": {"nested": {"S": ""}}}, ":n": {"N": "5"}, ":e": {"S": ""}}
    for n, (expression, names) in enumerate(plain_shapes):
        used = {v: values[v] for v in re.findall(r":[a-z]+", expression) if v in values}  # :missing is not
        for return_values in ("ALL_NEW", "UPDATED_OLD"):
            call(
                "update_item",
                TableName=TABLE,
                Key={"id": {"S": f"item-{n % 6}"}},
                UpdateExpression=expression,
                **({"ExpressionAttributeNames": names} if names else {}),
                ExpressionAttributeValues=used,
                ReturnValues=return_values,
            )
    call(
        "update_item",
        TableName=TABLE,
        Key={"id": {"S": "item-2"}},
        UpdateExpression="ADD NS :n DELETE SS :s",
        ExpressionAttributeValues={":n": {"NS": ["7"]}, ":s": {"SS": ["a"]}},
        ReturnValues="ALL_NEW",
    )
    call(
        "update_item",
        TableName=TABLE,
        Key={"id": {"S": "item-3"}},
        UpdateExpression="SET M.inner[1] = :v",
        ExpressionAttributeValues={":v": {"N": "4"}},
        ReturnValues="ALL_NEW",
    )
    call("get_item", TableName=TABLE, Key={"id": {"S": "item-3"}})
    # moto's item size limit (405,000 bytes): just under it, just over it, and over it only at the end
    for n, sizes in enumerate(([200_000, 204_000], [200_000, 205_000], [100_000] * 3 + [110_000])):
        item = {"id": {"S": f"big-{n}"}} | {f"part{i}": {"S": "x" * size} for i, size in enumerate(sizes)}
        call("put_item", TableName=TABLE, Item=item)
    call(
        "update_item",
        TableName=TABLE,
        Key={"id": {"S": "big-0"}},
        UpdateExpression="SET more = :v",
        ExpressionAttributeValues={":v": {"S": "y" * 2_000}},
    )
    for projection in ("id, S, N, #m", "id, M.inner[2].deep, SS", "S, S", "id, S, BOOL, #n, E, absent"):
        call(
            "query",
            TableName=TABLE,
            IndexName="ByUntil",
            KeyConditionExpression="kind = :k AND #u >= :s",
            FilterExpression="attribute_exists(N)",
            ProjectionExpression=projection,
            ExpressionAttributeNames={"#u": "until"}
            | ({"#m": "M"} if "#m" in projection else {})
            | ({"#n": "NULL"} if "#n" in projection else {}),
            ExpressionAttributeValues={":k": {"S": "app"}, ":s": {"S": "2026"}},
            Limit=4,
        )
    call("scan", TableName=TABLE)
    return answers


def test_dynamodb_answers_the_same_with_and_without_the_hooks():
    with mock_aws():
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        plain = calls(boto3.client("dynamodb", region_name="us-east-1"))
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS) as aws:
        hooked = calls(aws.client("dynamodb"))
    assert hooked == plain
    # the probe itself reaches what it means to: items answered, errors refused, binary kept
    kinds = [answer[0] if len(answer) == 2 else answer[1] for answer in plain]
    assert kinds.count("ValidationException") >= 4 and kinds.count("ConditionalCheckFailedException") == 3
    assert [answer[1] for answer in plain if answer[0] == "put_item"] == [
        {},
        "ValidationException",
        "ValidationException",
    ]
    scanned = {item["id"]["S"]: item for item in plain[-1][1]["Items"]}
    assert len(scanned) == 7 and scanned["item-0"]["B"] == {"B": b"\x00\xffbytes"}
    updates = [answer for answer in plain if answer[0] == "update_item"]
    assert "size" in updates[-1][2]  # SET more = ... would take big-0 over the limit


def test_the_probe_takes_the_fast_update_path_and_each_of_its_ways_back_to_moto(monkeypatch):
    from albrecon.local import dynamodb_fast_update

    decided = []
    original = dynamodb_fast_update._applied
    monkeypatch.setattr(
        dynamodb_fast_update, "_applied", lambda validator: decided.append(original(validator)) or decided[-1]
    )
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS) as aws:
        calls(aws.client("dynamodb"))
    fast = sum(d is not None for d in decided)
    # the recorder's shapes and the plain ones go fast; every refusal, ADD/DELETE, nested paths and the
    # size limit go to moto
    assert fast >= 20 and len(decided) - fast >= 20


def test_the_recorders_update_expressions_are_of_the_plain_shape():
    from albrecon.local.dynamodb_fast_update import _plan_of

    created = (
        "SET #a0 = :v0, #a1 = :v1, active_until = if_not_exists(deleted_at, :far_future) REMOVE expires_at"
    )
    deleted = "SET deleted_at = if_not_exists(deleted_at, :deleted), active_until = if_not_exists(deleted_at, :deleted)"
    for expression in (created, deleted, deleted + ", expires_at = if_not_exists(expires_at, :expires)"):
        assert _plan_of(expression) is not None
    for other in (
        "ADD n :v",
        "SET a = a + :v",
        "SET m.x = :v",
        "SET l[0] = :v",
        "SET a = list_append(a, :v)",
    ):
        assert _plan_of(other) is None


PAGED = "hooks-pages"


def query_pages(dynamodb) -> list:
    """Queries paged to the end (Limit, the 1 MB page, both directions, range conditions, indexes,
    projections, filters) and the ones the fast Query leaves to moto; every page each answered."""
    answers: list = []
    dynamodb.create_table(
        TableName=PAGED,
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "p", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": "N"},
            {"AttributeName": "kind", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByKind",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "KeysOnly",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "n", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    # numbers that sort otherwise as text; GSI range values shared by several items (ties broken by
    # the table's key); items without the index's range key; a few of 150 KB (pages end by size)
    for i in range(70):
        item = {
            "p": {"S": "ab"[i % 2]},
            "r": {"N": ["9", "10", "-1.5", "100", "0.25", "7e1"][i % 6] + (str(i) if i % 6 != 5 else "")},
            "kind": {"S": ["app", "net"][i % 3 == 0]},
            "n": {"N": str((i * 37) % 11)},
            "payload": {"S": "x" * (150_000 if i % 5 == 0 else 10)},
        }
        if i % 7:
            item["at"] = {"S": f"2026-{1 + i % 12:02d}-{i % 3:02d}"}
        dynamodb.put_item(TableName=PAGED, Item=item)

    def pages(**kwargs) -> None:
        start = kwargs.pop("ExclusiveStartKey", None)
        for _ in range(100):
            try:
                answer = dynamodb.query(
                    TableName=PAGED, **kwargs, **({"ExclusiveStartKey": start} if start else {})
                )
            except ClientError as error:
                answers.append((kwargs, error.response["Error"]["Code"], error.response["Error"]["Message"]))
                return
            answer.pop("ResponseMetadata", None)
            answers.append((kwargs, answer))
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return
        raise AssertionError("a query that never ends")

    a = {":a": {"S": "a"}}
    pages(KeyConditionExpression="p = :a", ExpressionAttributeValues=a)
    pages(KeyConditionExpression="p = :a", ExpressionAttributeValues=a, Limit=7, ScanIndexForward=False)
    pages(
        KeyConditionExpression="p = :a AND r BETWEEN :lo AND :hi",
        ExpressionAttributeValues=a | {":lo": {"N": "-2"}, ":hi": {"N": "50"}},
        Limit=5,
    )
    pages(
        KeyConditionExpression="p = :a AND r > :r",
        FilterExpression="kind = :k",
        ProjectionExpression="r, kind, n",
        ExpressionAttributeValues=a | {":r": {"N": "9"}, ":k": {"S": "app"}},
        Limit=4,
    )
    pages(KeyConditionExpression="p = :z", ExpressionAttributeValues={":z": {"S": "nobody"}})
    pages(KeyConditionExpression="p = :a", ExpressionAttributeValues=a, Select="COUNT", Limit=9)
    for forward in (True, False):
        app = {":k": {"S": "app"}, ":at": {"S": "2026-05"}}
        pages(
            IndexName="ByKind",
            KeyConditionExpression="kind = :k AND #at >= :at",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues=app,
            ScanIndexForward=forward,
        )
        pages(
            IndexName="ByKind",
            KeyConditionExpression="kind = :k AND #at >= :at",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues=app,
            ScanIndexForward=forward,
            Limit=4,
        )
        pages(
            IndexName="ByKind",
            KeyConditionExpression="kind = :k AND begins_with(#at, :pre)",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues={":k": {"S": "net"}, ":pre": {"S": "2026-1"}},
            ScanIndexForward=forward,
            Limit=3,
        )
        pages(
            IndexName="KeysOnly",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "net"}},
            ScanIndexForward=forward,
            Limit=5,
        )
    # start keys written by hand: a number in another spelling, another hash key
    for start in (
        {"p": {"S": "a"}, "r": {"N": "10.0"}},
        {"p": {"S": "b"}, "r": {"N": "10"}},
    ):
        pages(KeyConditionExpression="p = :a", ExpressionAttributeValues=a, ExclusiveStartKey=start, Limit=3)
    # refused: a consistent read of a GSI, an unknown index; and the legacy KeyConditions form (answered)
    pages(
        IndexName="ByKind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "app"}},
        ConsistentRead=True,
    )
    pages(
        IndexName="Nope", KeyConditionExpression="kind = :k", ExpressionAttributeValues={":k": {"S": "app"}}
    )
    pages(KeyConditions={"p": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "b"}]}}, Limit=6)
    return answers


def test_query_pages_are_the_same_with_and_without_the_fast_query(monkeypatch):
    from albrecon.local import dynamodb_fast_query

    with mock_aws():
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        plain = query_pages(boto3.client("dynamodb", region_name="us-east-1"))
    decided = []
    original = dynamodb_fast_query._ordered

    def ordered(*args):
        try:
            decided.append(original(*args))
        except dynamodb_fast_query._NotPlain:
            decided.append(None)
            raise
        return decided[-1]

    monkeypatch.setattr(dynamodb_fast_query, "_ordered", ordered)
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS) as aws:
        hooked = query_pages(aws.client("dynamodb"))
    assert hooked == plain
    # the probe reaches what it means to: pages ended by Limit and by size, refusals, the fast path
    # for the plain queries and moto's for the others
    page_sizes = [len(answer[1].get("Items", [])) for answer in plain if len(answer) == 2]
    ended_by_size = [a for a in plain if len(a) == 2 and "Limit" not in a[0] and "LastEvaluatedKey" in a[1]]
    assert len(page_sizes) > 40 and ended_by_size and max(page_sizes) >= 6
    assert sum(len(answer) == 3 for answer in plain) == 2
    fast = sum(d is not None for d in decided)
    assert fast > 40 and len(decided) - fast >= 2


def test_attribute_sizes_are_moto_s_own():
    """The size hook counts as moto's DynamoType.size does, value by value (moto's item and page
    limits rest on it): every type, nested, empty, multi-byte text, numbers as spelt."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    from albrecon.local.hooks import _value_size

    values = [
        {"S": "plain"},
        {"S": ""},
        {"S": "zürich ✓ 東京"},
        {"N": "12.50"},
        {"N": "-1e2"},
        {"BOOL": False},
        {"NULL": True},
        {"B": b"\x00\xffbytes"},
        {"B": "AAEC"},
        {"SS": ["a", "bé", ""]},
        {"NS": ["1", "2.50", "-3e4"]},
        {"BS": [b"one", b"\x00"]},
        {"L": []},
        {"M": {}},
        {
            "M": {
                "inner": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"BOOL": True}, "é": {"NULL": True}}}]}
            }
        },
        {"L": [{"SS": ["p", "q"]}, {"M": {"k": {"B": b"zz"}}}, {"L": [{"N": "0"}]}]},
    ]
    for value in values:
        typed = DynamoType(value)
        assert _value_size(typed) == DynamoType.size(typed), value
    assert _value_size(DynamoType({"S": "zürich"})) == 7  # bytes, not characters
