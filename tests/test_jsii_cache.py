"""The jsii shortcuts answer exactly what CDK answers (issue 14: fewer round trips, same results)."""

from __future__ import annotations

import jsii
import pytest
from aws_cdk import App, Aws, Environment, Fn, IStableStringProducer, Lazy, Stack, Token
from constructs import Construct

from benchmarks.jsii_counter import install
from constructs_ml._jsii_cache import env_of, is_unresolved, memo, stack_env, stack_of


@jsii.implements(IStableStringProducer)
class _Producer:
    def produce(self) -> str:
        return "x"


@pytest.fixture(scope="module")
def stacks() -> tuple[Stack, Stack]:
    app = App()
    agnostic = Stack(app, "Agnostic")
    pinned = Stack(app, "Pinned", env=Environment(account="111111111111", region="eu-west-1"))
    return agnostic, pinned


def test_is_unresolved_agrees_with_cdk(stacks: tuple[Stack, Stack]) -> None:
    agnostic, pinned = stacks
    values: list[object] = [
        agnostic.region,
        f"arn:{agnostic.partition}:s3:::bucket/*",
        Fn.join(",", [agnostic.account]),
        Token.as_list(Fn.split(",", agnostic.region))[0],  # a list token's element alone: not a string token
        Lazy.string(_Producer()),
        pinned.region,
        "${Token[not a token]}",
        "plain",
        "",
        3,
        True,
        None,
        2.5,
        Token.as_number(agnostic.account),
        Token.as_list(Fn.split(",", agnostic.region)),
        ["plain"],
    ]
    for value in values:
        assert is_unresolved(value) == Token.is_unresolved(value), value


def test_stack_env_is_read_once_per_stack_and_equals_the_stack(stacks: tuple[Stack, Stack]) -> None:
    agnostic, pinned = stacks
    for stack in stacks:
        env = stack_env(Construct(stack, f"Child{stack.stack_name}"))
        assert (env.partition, env.region, env.account, env.url_suffix) == (
            stack.partition,
            stack.region,
            stack.account,
            stack.url_suffix,
        )
    assert stack_env(agnostic).region_is_token and not stack_env(pinned).region_is_token
    assert stack_env(agnostic).region == Aws.REGION
    counter = install()
    child = Construct(pinned, "Counted")
    before = counter.round_trips
    for _ in range(10):
        assert stack_of(child) is pinned
        assert env_of(stack_of(child)).account == "111111111111"
    assert counter.round_trips - before == 1  # one Stack.of; the environment was read already
    assert env_of("not a stack") == "not a stack"


def test_memo_computes_once_per_object(stacks: tuple[Stack, Stack]) -> None:
    calls: list[int] = []
    first = Construct(stacks[0], "MemoA")
    second = Construct(stacks[0], "MemoB")
    for scope in (first, first, second):
        memo(scope, "k", lambda: calls.append(1) or len(calls))
    assert memo(first, "k", lambda: 99) == 1 and memo(second, "k", lambda: 99) == 2


def test_constant_properties_are_read_from_node_once(stacks: tuple[Stack, Stack]) -> None:
    from aws_cdk import Duration
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3

    from constructs_ml._jsii_cache import (
        bucket_name,
        duration_seconds,
        key_arn,
        path_of,
        security_group_id,
        subnet_id,
    )

    pinned = stacks[1]
    key = kms.Key(pinned, "CachedKey", enable_key_rotation=True)
    bucket = s3.Bucket(pinned, "CachedBucket")
    vpc = ec2.Vpc(pinned, "CachedVpc", max_azs=1, nat_gateways=0)
    group = ec2.SecurityGroup(pinned, "CachedGroup", vpc=vpc)
    subnet = vpc.isolated_subnets[0] if vpc.isolated_subnets else vpc.public_subnets[0]
    duration = Duration.minutes(2)
    reads = {
        "key": (lambda: key_arn(key), key.key_arn),
        "path": (lambda: path_of(key), key.node.path),
        "bucket": (lambda: bucket_name(bucket), bucket.bucket_name),
        "group": (lambda: security_group_id(group), group.security_group_id),
        "subnet": (lambda: subnet_id(subnet), subnet.subnet_id),
        "duration": (lambda: duration_seconds(duration), 120),
    }
    counter = install()
    for name, (read, expected) in reads.items():
        assert read() == expected, name
        before = counter.round_trips
        assert read() == expected and read() == expected, name
        assert counter.round_trips == before, f"{name} asked Node again"


def test_a_subnet_selection_is_asked_of_node_once_per_vpc_and_selection(stacks: tuple[Stack, Stack]) -> None:
    from aws_cdk import aws_ec2 as ec2

    from constructs_ml._jsii_cache import select_subnets

    pinned = stacks[1]
    vpc = ec2.Vpc(
        pinned,
        "SelectVpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
        ],
    )
    isolated = {"subnet_type": ec2.SubnetType.PRIVATE_ISOLATED}
    chosen = {"subnets": [vpc.isolated_subnets[1]]}
    selections = [isolated, {"subnet_type": ec2.SubnetType.PUBLIC}, {"subnet_group_name": "Isolated"}, chosen, {}]
    expected = [vpc.select_subnets(**s).subnet_ids for s in selections]
    assert expected[0] != expected[1] and expected[3] == [vpc.isolated_subnets[1].subnet_id]
    counter = install()
    assert [select_subnets(vpc, **s).subnet_ids for s in selections] == expected
    before = counter.round_trips
    assert [select_subnets(vpc, **s).subnet_ids for s in selections] == expected
    # an equal selection (same values, the same subnet objects) is the same question
    assert select_subnets(vpc, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids == expected[0]
    assert select_subnets(vpc, subnets=list(chosen["subnets"])).subnet_ids == expected[3]
    assert counter.round_trips == before, "a selection already made asked Node again"
    # another VPC is another question
    other = ec2.Vpc(pinned, "OtherVpc", max_azs=1, nat_gateways=0)
    assert select_subnets(other, **isolated).subnet_ids == other.select_subnets(**isolated).subnet_ids
