"""Property: an ALB whose account/region flow-log location held no files, or whose format did not
match, is never reported with a number status (MATCH, MISMATCH, MISSING_*, PENDING_CUR, NO_TRAFFIC);
every other ALB keeps the status its numbers gave it."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from alb_egress.diagnosis import apply_problems, missing_fields_problem, no_flow_log_files
from alb_egress.identity import Scope
from alb_egress.reconcile import PROBLEM_STATUSES, Thresholds, reconcile_day

PLACES = [("111111111111", "us-east-1"), ("222222222222", "us-east-1"), ("222222222222", "eu-west-1")]
ARN = "arn:aws:elasticloadbalancing:{r}:{a}:loadbalancer/app/{n}/{i:016x}"

albs = st.lists(
    st.tuples(
        st.sampled_from(PLACES),
        st.sampled_from(["web", "api", "shop"]),
        st.integers(0, 5 * 2**30),  # flow bytes
        st.floats(0, 5, allow_nan=False),  # CUR GB
    ),
    max_size=12,
)


@given(albs=albs, broken=st.sets(st.sampled_from(PLACES)), format_mismatch=st.booleans())
def test_no_number_for_an_alb_whose_flow_logs_could_not_be_read(albs, broken, format_mismatch):
    arns = {ARN.format(r=r, a=a, n=n, i=i): (flow, cur) for i, ((a, r), n, flow, cur) in enumerate(albs)}
    scope = Scope.parse("*", "*", "*", own_account="111111111111", own_region="us-east-1")
    results = reconcile_day(
        date(2026, 11, 20),
        {arn: 1 for arn in arns},
        {arn: (flow, 0) for arn, (flow, _) in arns.items()},
        {arn: (cur, cur * 0.09) for arn, (_, cur) in arns.items()},
        True,
        scope,
        Thresholds(),
    )
    problems = [
        missing_fields_problem(("version", "bytes"), ("interface-id",), "fl-1", a, r, "s3://b/k")
        if format_mismatch
        else no_flow_log_files(a, r, "s3://b/")
        for a, r in broken
    ]
    after = apply_problems(results, problems)
    for before, result in zip(results, after, strict=True):
        if (result.account_id, result.region) in broken:
            assert result.status in PROBLEM_STATUSES and result.alerted
        else:
            assert result.status == before.status
