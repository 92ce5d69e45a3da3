import pytest

from alb_egress.identity import (
    InvalidIdentifier,
    LoadBalancerRef,
    WatchList,
    load_balancer_of,
    parse_eni_description,
    validate_eni_id,
)


def test_alb_description_names_the_load_balancer():
    ref = parse_eni_description("ELB app/web-prod/50dc6c495c0c9188")
    assert ref == LoadBalancerRef(type="app", name="web-prod", id="50dc6c495c0c9188")
    assert ref.arn("123456789012", "us-west-2") == (
        "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"
    )


def test_nlb_description_is_recognised_as_net():
    assert parse_eni_description("ELB net/tcp-edge/7f3a9b2c1d0e4f56").type == "net"


@pytest.mark.parametrize(
    "description",
    [
        "ELB legacy-clb",  # Classic Load Balancer
        "ELB app/web-prod/50dc6c495c0c9188 ",
        " ELB app/web-prod/50dc6c495c0c9188",
        "ELB app/web-prod/50DC6C495C0C9188",
        "ELB app/web_prod/50dc6c495c0c9188",
        "ELB app/-web/50dc6c495c0c9188",
        "ELB app/x'; DROP TABLE flow_logs; --/0123456789abcdef",
        "ELB app/web-prod/50dc6c495c0c9188\nELB app/other/50dc6c495c0c9188",
        "ELB gwy/gwlb/50dc6c495c0c9188",
        "Primary network interface",
        "",
        None,
        42,
    ],
)
def test_anything_else_is_not_an_elbv2_eni(description):
    assert parse_eni_description(description) is None


def test_partitions_follow_the_region():
    ref = parse_eni_description("ELB app/a/50dc6c495c0c9188")
    assert ref.arn("123456789012", "cn-north-1").startswith("arn:aws-cn:")
    assert ref.arn("123456789012", "us-gov-west-1").startswith("arn:aws-us-gov:")


@pytest.mark.parametrize("account,region", [("12345678901", "us-east-1"), ("123456789012", "us-east-1'--")])
def test_arn_refuses_bad_account_or_region(account, region):
    with pytest.raises(InvalidIdentifier):
        parse_eni_description("ELB app/a/50dc6c495c0c9188").arn(account, region)


def test_arn_round_trip():
    arn = "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/api-eu/1234567890abcdef"
    lb = load_balancer_of(arn)
    assert (lb.ref.key, lb.account, lb.region) == ("app/api-eu/1234567890abcdef", "210987654321", "eu-west-1")
    with pytest.raises(InvalidIdentifier):
        load_balancer_of(arn + "' OR 1=1")


def test_watch_list_matches_names_exactly():
    watch = WatchList.parse("Test751, web-prod")
    assert watch.watches(LoadBalancerRef("app", "Test751", "0123456789abcdef"))
    assert not watch.watches(LoadBalancerRef("app", "Test7510", "0123456789abcdef"))
    assert not watch.watches(LoadBalancerRef("app", "Test75", "0123456789abcdef"))
    assert not watch.watches(LoadBalancerRef("net", "web-prod", "0123456789abcdef"))


def test_star_watches_every_alb_but_no_nlb():
    watch = WatchList.parse("*")
    assert watch.watches(LoadBalancerRef("app", "anything", "0123456789abcdef"))
    assert not watch.watches(LoadBalancerRef("net", "anything", "0123456789abcdef"))
    assert WatchList.parse("").names is None


@pytest.mark.parametrize("text", ["web prod", "a,b;c", "x'--", ",,"])
def test_watch_list_rejects_what_cannot_be_a_name(text):
    with pytest.raises(InvalidIdentifier):
        WatchList.parse(text)


@pytest.mark.parametrize("eni", ["eni-0a1b2c3d", "eni-0a1b2c3d4e5f60718"])
def test_eni_ids(eni):
    assert validate_eni_id(eni) == eni


@pytest.mark.parametrize(
    "eni", ["eni-", "eni-XYZ12345", "eni-0a1b2c3d' OR '1", "i-0a1b2c3d", None, "eni-0a1b2c3d\n"]
)
def test_bad_eni_ids(eni):
    with pytest.raises(InvalidIdentifier):
        validate_eni_id(eni)
