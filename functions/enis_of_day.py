"""FindEnis: the ENIs of every in-scope ALB on the day, written to S3 as the day's ENI table.

The state carries only the table's location, counts, and the (account, region) pairs whose
flow-log partitions the day needs, grouped so that each group is one ALTER TABLE statement.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.inventory import albs_outside_scope, enis_of_day
from alb_egress.payloads import EnisOutput
from alb_egress.ports import Inventory, ObjectStore
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import objects
from aws_adapters.inventory_table import InventoryTable

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(
    event: dict, context: object, *, inventory: Inventory | None = None, store: ObjectStore = objects
) -> EnisOutput:
    """``{"date": "YYYY-MM-DD", "execution_id": ARN}``."""
    settings = settings_from_environment(os.environ)
    day = parse_day(event["date"])
    inventory = inventory or InventoryTable(os.environ["INVENTORY_TABLE"])
    records = inventory.records_alive_on(day, load_balancer_type="app")
    enis = enis_of_day(records, day, settings.scope)
    location = store.put_csv(settings.results_bucket, statements.enis_key(day), [e.row() for e in enis])
    pairs = sorted({(e.account_id, e.region) for e in enis})
    groups = statements.partition_groups(settings, pairs)
    albs = len({e.load_balancer_arn for e in enis})
    outside = albs_outside_scope(records, day, settings.scope) if not enis else {}
    logger.info(
        "ENIs of the day",
        extra={"date": day.isoformat(), "albs": albs, "enis": len(enis), "accounts_regions": len(pairs)},
    )
    return {
        "eni_count": len(enis),
        "alb_count": albs,
        "accounts_regions": len(pairs),
        "partition_groups": groups,
        "enis_location": location,
        "unknown_created_time": sum(1 for e in enis if not e.created_at),
        # when no ALB is in scope: the ALBs the scope left out (their count, the first places)
        "albs_out_of_scope": sum(outside.values()),
        "out_of_scope_places": [[a, r, n] for (a, r), n in list(outside.items())[:10]],
    }
