"""Rate limits of the public form that hold across server processes (SECURITY.md H1)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from tongzhan.collection import ratelimit
from tongzhan.collection.models import RateLimitBucket, Submission

from .factories import adult_id, form_data, open_collection, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection(world):
    return open_collection(world.township_a)


def test_the_sixth_submission_in_an_hour_from_one_address_answers_429_across_two_clients(world, collection):
    first, second = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.7")
    for n in range(5):
        client = first if n % 2 else second  # two browsers, two sessions, one address
        data = form_data(client, collection, village=world.village_a1, id_number=adult_id(n + 1))
        response = client.post(f"/collect/{collection.pk}/", data)
        assert "提交成功" in response.content.decode(), n
    data = form_data(second, collection, village=world.village_a1, id_number=adult_id(6))
    response = second.post(f"/collect/{collection.pk}/", data)
    assert response.status_code == 429
    assert 3500 <= int(response["Retry-After"]) <= 3600
    assert "提交过于频繁，请约 60 分钟后再试" in response.content.decode()
    assert Submission.objects.count() == 5
    # Another address is not held up by this one.
    other = Client(REMOTE_ADDR="203.0.113.8")
    data = form_data(other, collection, village=world.village_a1, id_number=adult_id(7))
    assert "提交成功" in other.post(f"/collect/{collection.pk}/", data).content.decode()


def test_the_count_lives_in_the_database_under_a_keyed_hash_not_the_address(world, collection):
    for n in range(3):
        submit(collection, village=world.village_a1, id_number=adult_id(n + 1), ip="203.0.113.9")
    with connection.cursor() as cursor:  # what any other server process would read
        cursor.execute("SELECT key, hits FROM collection_ratelimitbucket WHERE scope = %s", ["submit-ip"])
        rows = cursor.fetchall()
    assert len(rows) == 1
    key, hits = rows[0]
    assert "203.0.113.9" not in key and len(key) == 64
    assert len(hits if isinstance(hits, list) else json.loads(hits)) == 3


def test_one_id_number_is_limited_whatever_the_address(world, collection):
    number = adult_id(42)
    for n in range(3):
        submit(collection, village=world.village_a1, id_number=number, ip=f"203.0.113.{20 + n}")
    with pytest.raises(ratelimit.RateLimited) as refused:
        submit(collection, village=world.village_a1, id_number=number, ip="203.0.113.30")
    assert refused.value.scope == "submit-id"
    assert Submission.objects.count() == 3


def test_the_global_limit_stops_a_flood_from_many_addresses(world, collection, settings):
    settings.COLLECTION_RATE_LIMITS = {"submit-all": (4, 3600)}
    for n in range(4):
        submit(collection, village=world.village_a1, id_number=adult_id(n + 1), ip=f"198.51.100.{n + 1}")
    client = Client(REMOTE_ADDR="198.51.100.99")
    data = form_data(client, collection, village=world.village_a1, id_number=adult_id(9))
    response = client.post(f"/collect/{collection.pk}/", data)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert Submission.objects.count() == 4


def test_a_submission_refused_by_one_limit_takes_no_place_in_the_others(world, collection):
    number = adult_id(5)
    for n in range(3):
        submit(collection, village=world.village_a1, id_number=number, ip=f"192.0.2.{n + 1}")
    with pytest.raises(ratelimit.RateLimited):
        submit(collection, village=world.village_a1, id_number=number, ip="192.0.2.50")
    key = ratelimit.address_key("192.0.2.50")
    assert not RateLimitBucket.objects.filter(scope="submit-ip", key=key).exists()
    assert len(RateLimitBucket.objects.get(scope="submit-all").hits) == 3


def test_hits_leave_the_window_and_the_retry_after_says_when(db):
    ratelimit.take("submit-ip", "k", now=1000.0)
    for t in (1001.0, 1002.0, 1003.0, 1004.0):
        ratelimit.take("submit-ip", "k", now=t)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.take("submit-ip", "k", now=1500.0)
    assert refused.value.retry_after == 1000 + 3600 - 1500
    ratelimit.take("submit-ip", "k", now=1000.0 + 3600 + 0.5)  # the first hit has left the hour
    assert len(RateLimitBucket.objects.get(scope="submit-ip", key="k").hits) == 5


def test_an_ipv6_client_is_counted_by_its_64_network(db):
    assert ratelimit.address_key("2001:db8:1:2::10") == ratelimit.address_key("2001:db8:1:2:ffff::1")
    assert ratelimit.address_key("2001:db8:1:3::10") != ratelimit.address_key("2001:db8:1:2::10")
    assert ratelimit.address_key("::ffff:192.0.2.1") == ratelimit.address_key("192.0.2.1")


def test_receipt_look_ups_are_limited_per_address(world, settings):
    settings.COLLECTION_RATE_LIMITS = {"receipt-ip": (3, 3600)}
    client = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(3):
        assert client.post("/collect/receipt/", {"code": "AAAA-BBBB"}).status_code == 200
    response = client.post("/collect/receipt/", {"code": "AAAA-BBBB"})
    assert response.status_code == 429 and "Retry-After" in response


def test_repeated_wrong_captchas_from_one_address_are_limited(world, collection, settings):
    settings.COLLECTION_RATE_LIMITS = {"attempt-ip": (3, 3600)}
    client = Client(REMOTE_ADDR="203.0.113.60")
    for _ in range(3):
        data = form_data(client, collection, village=world.village_a1, captcha_1="-1")
        assert client.post(f"/collect/{collection.pk}/", data).status_code == 200
    data = form_data(client, collection, village=world.village_a1)
    assert client.post(f"/collect/{collection.pk}/", data).status_code == 429
    assert not Submission.objects.exists()
