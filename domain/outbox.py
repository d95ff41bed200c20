"""The event log as it leaves the service: which types leave, the one payload shape, and the retry rule.

Pure: the relay (entrypoints/relay.py), the pull API and the sinks all use these, so that every consumer sees
the same events in the same shape.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import errors
from domain.model import mask_mobile

# Types are `noun.verb_past` words; a pattern may use `*` for any run of characters (`user.*`, `admin.*`).
TYPE_PATTERN = re.compile(r"[a-z0-9_.*]{1,64}")
# Detail keys that could carry a secret never leave: codes, captcha ids, tokens, hashes, keys, passwords.
SECRET_DETAIL_KEY = re.compile(r"password|secret|token|code|captcha|digest|hash|key|session", re.IGNORECASE)
FULL_MOBILE = re.compile(r"1[3-9][0-9]{9}")


@dataclass(frozen=True)
class OutboxEvent:
    """An audit event as the relay reads it: the stored fields, its id and its place in the delivery order.

    `type` is a plain string: the relay carries any type, including ones this code does not know.
    """

    id: int
    seq: int
    type: str
    occurred_at: datetime
    user_id: int | None = None
    mobile: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def parse_types(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """ "user.registered,login.*" -> ("user.registered", "login.*"); raises EventTypesInvalid."""
    parts = text.split(",") if isinstance(text, str) else list(text or ())
    patterns = tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
    if not all(TYPE_PATTERN.fullmatch(p) for p in patterns):
        raise errors.EventTypesInvalid()
    return patterns


def _matches(pattern: str, event_type: str) -> bool:
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), event_type) is not None


@dataclass(frozen=True)
class TypeFilter:
    """Which event types pass: an include pattern matches (none given: all), no exclude pattern does, and,
    for one endpoint, one of its own patterns (`only`) matches."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    only: tuple[str, ...] = ()

    @classmethod
    def parse(cls, include: str | None, exclude: str | None) -> TypeFilter:
        return cls(parse_types(include), parse_types(exclude))

    def __call__(self, event_type: str) -> bool:
        for wanted in (self.include, self.only):
            if wanted and not any(_matches(p, event_type) for p in wanted):
                return False
        return not any(_matches(p, event_type) for p in self.exclude)

    def narrowed(self, only: tuple[str, ...]) -> TypeFilter:
        """This filter, further limited to an endpoint's own types."""
        return TypeFilter(self.include, self.exclude, only)


# Noise stays in: captcha issues and the audit of internal API calls would swamp every consumer.
DEFAULT_EXCLUDED = "captcha.issued,api_key.used"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _clean_detail(detail: dict[str, Any], full_mobile: bool) -> dict[str, Any]:
    """Secrets dropped and mobiles masked at every depth: an export's `filters.mobile` is as personal as the top."""
    return {key: _clean_value(value, full_mobile) for key, value in detail.items() if not SECRET_DETAIL_KEY.search(key)}


def _clean_value(value: Any, full_mobile: bool) -> Any:
    if isinstance(value, dict):
        return _clean_detail(value, full_mobile)
    if isinstance(value, list):
        return [_clean_value(item, full_mobile) for item in value]
    if isinstance(value, str) and not full_mobile and FULL_MOBILE.fullmatch(value):
        return mask_mobile(value)
    return value


def payload(event: OutboxEvent, *, full_mobile: bool = False) -> dict[str, Any]:
    """The one JSON shape every sink and the pull API send (EventPayload in openapi.json).

    Mobiles are masked unless the sink was configured for full ones; detail keys that name secrets are dropped.
    """
    body: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "occurred_at": _utc_text(event.occurred_at),
        "user_id": event.user_id,
        "mobile_masked": mask_mobile(event.mobile) if event.mobile else None,
    }
    if full_mobile:
        body["mobile"] = event.mobile
    body["client"] = {"ip": event.ip, "user_agent": event.user_agent, "request_id": event.request_id}
    body["details"] = _clean_detail(event.detail or {}, full_mobile)
    return body


@dataclass(frozen=True)
class RetryRule:
    """Exponential backoff with jitter, for `give_up_after` from the first try; then the delivery has failed."""

    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=24)

    def next_attempt(
        self, attempts: int, first_tried: datetime, now: datetime, rng: Callable[[], float]
    ) -> datetime | None:
        """After `attempts` failed tries, when to try again; None once the window is over."""
        deadline = first_tried + self.give_up_after
        if now >= deadline:
            return None
        delay: timedelta = min(self.cap, self.base * 2 ** max(0, min(attempts - 1, 40)))
        # Equal jitter: at least half the delay, so retries spread out without collapsing to zero.
        jittered = delay * (0.5 + 0.5 * rng())
        return min(now + jittered, deadline)  # the last try falls on the deadline itself


def webhook_secret(signing_key: bytes, salt: str) -> str:
    """An endpoint's Standard Webhooks secret: derived from the app's key and the endpoint's salt, never stored."""
    raw = hmac.new(signing_key, salt.encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(raw).decode()


# IPv6 forms that carry an IPv4 address in their last 32 bits and reach it: IPv4-compatible (::a.b.c.d, deprecated
# but still routed by some stacks) and NAT64 (RFC 6052's well-known prefix and RFC 8215's local-use one).
IPV4_IN_LOW_BITS = tuple(ipaddress.IPv6Network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, if it is one of the forms that embed one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002::/16 (6to4)
        return ip.sixtofour
    if any(ip in network for network in IPV4_IN_LOW_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local, reserved,
    multicast and unspecified ones. An IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64, 6to4) is
    judged as the IPv4 address it leads to: `64:ff9b::7f00:1` is 127.0.0.1 to a NAT64 gateway."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (carried := embedded_ipv4(ip)) is not None:
        ip = carried
    return ip.is_global and not ip.is_multicast


# --- what the operator manages: API keys for internal services, webhook endpoints ---------------------------


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None  # when a use was last recorded (at most once per interval)


def api_key_digest(key: str) -> str:
    """Keys are 256 random bits: a plain SHA-256 cannot be reversed or guessed, and needs no app secret."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class WebhookEndpoint:
    id: int
    url: str
    event_types: tuple[str, ...]  # empty: every exported type
    allow_private: bool
    full_mobile: bool
    secret_salt: str
    position: int  # the last seq fanned out into deliveries
    created_at: datetime
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    # Events up to this id were committed before the endpoint was added: not its to receive (0: from the beginning)
    after_event_id: int = 0

    def receives(self, event_id: int, seq: int) -> bool:
        """Not yet fanned out to it, and not from before it existed (unless it was added to get everything)."""
        return seq > self.position and event_id > self.after_event_id


@dataclass(frozen=True)
class WebhookStatus:
    endpoint: WebhookEndpoint
    pending: int  # deliveries waiting (first try or retry)
    failed: int  # given up after the retry window; `accounts webhooks replay` sends them again
    behind: int  # events sequenced but not yet fanned out to this endpoint
    oldest_pending_at: datetime | None
