"""The channel's parts on their own: settings, session tokens, rate limiters."""
import asyncio
import uuid

import pytest

from clinic.channel.rate_limits import MemoryRateLimiter, RateLimit, RedisRateLimiter
from clinic.channel.sessions import PatientSessions, SessionRefused
from clinic.channel.settings import ChannelSettings
from clinic.channel.transcript import transcript

SECRET = "s" * 40


def test_settings_come_from_credentials_with_the_environment_on_top():
    settings = ChannelSettings.load(
        {"allowed_origins": ["https://clinic.example"], "limit_per_ip": "30/minute"},
        {"CLINIC_CHANNEL_SECRET": SECRET, "CLINIC_WEB_LIMIT_PER_IP": "5/second"})
    assert settings.allowed_origins == {"https://clinic.example"}
    assert settings.limit_per_ip == RateLimit(5, 1) and settings.limit_per_session == RateLimit(20, 60)


@pytest.mark.parametrize("origin", ["*", "https://clinic.example/", "clinic.example", "https://*.clinic.example"])
def test_a_wildcard_or_malformed_origin_is_refused(origin):
    with pytest.raises(ValueError, match="allowed origin"):
        ChannelSettings.load({}, {"CLINIC_CHANNEL_SECRET": SECRET, "CLINIC_WIDGET_ORIGINS": origin})


def test_a_short_or_missing_secret_stops_the_channel():
    with pytest.raises(ValueError, match="CLINIC_CHANNEL_SECRET"):
        PatientSessions("", 60)


def test_an_expired_token_is_refused():
    sessions = PatientSessions(SECRET, lifetime_seconds=-10)
    session = sessions.start()
    with pytest.raises(SessionRefused):
        sessions.verify(f"Bearer {session.token}", session.session_id)


def test_session_ids_are_unguessable_and_tokens_bound_to_them():
    sessions = PatientSessions(SECRET, 60)
    first, second = sessions.start(), sessions.start()
    assert first.session_id != second.session_id
    sessions.verify(f"Bearer {first.token}", first.session_id)
    with pytest.raises(SessionRefused):
        sessions.verify(f"Bearer {first.token}", second.session_id)


@pytest.mark.parametrize("text", ["20", "0/minute", "ten/minute", "5/day"])
def test_a_rate_limit_must_be_readable(text):
    with pytest.raises(ValueError):
        RateLimit.parse(text)


def test_the_memory_limiter_slides_its_window():
    now = [1000.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    limit = RateLimit(2, 60)
    hit = lambda: asyncio.run(limiter.hit("session:a", limit))  # noqa: E731
    assert hit() == 0 and hit() == 0
    assert hit() == pytest.approx(60)
    now[0] += 30
    assert hit() == pytest.approx(30)
    now[0] += 31
    assert hit() == 0


def test_the_redis_limiter_is_shared_by_replicas(redis_url):
    limit, key = RateLimit(3, 60), f"ip:{uuid.uuid4()}"

    async def hits():
        replicas = [RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)]
        return [await replicas[i % 2].hit(key, limit) for i in range(4)]

    waits = asyncio.run(hits())
    assert waits[:3] == [0, 0, 0] and 0 < waits[3] <= 61


def test_the_transcript_keeps_only_what_was_said():
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "/greet"},
        {"event": "bot", "text": "Hi!", "data": {"buttons": [{"title": "What is sciatica?", "payload": "what is sciatica"}]}},
        {"event": "user", "text": "what is sciatica"},
        {"event": "bot", "text": "<b>Sciatica</b> is nerve pain.", "data": {}},
        {"event": "slot", "name": "red_flags", "value": None},
    ]
    assert transcript(events) == [
        {"from": "assistant", "text": "Hi!", "buttons": [{"title": "What is sciatica?", "payload": "what is sciatica"}]},
        {"from": "patient", "text": "What is sciatica?"},
        {"from": "assistant", "text": "<b>Sciatica</b> is nerve pain.", "buttons": []},
    ]
