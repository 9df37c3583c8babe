"""The Redis conversation store: state shared by every replica of an agent.

Through `redis.asyncio` (redis-py), one Redis or Valkey server. Each conversation is four keys
under the agent's scope, all given the conversation's TTL on each write, so they expire
together: `conv:<id>` (a hash: agent, times), `conv:<id>:turns` (a list, one JSON array of
entries per turn, trimmed to the latest turns), `conv:<id>:approvals` (a hash of held tool
calls and their decisions) and `conv:<id>:tokens`. The agent's daily count is `day:<date>`.

Every change that must be atomic across replicas is one Lua script or one MULTI/EXEC block,
so no read-modify-write can race: a turn is appended and trimmed in one step, a held call is
decided once (the script checks and writes under Redis's own clock), and token counts only
ever grow by INCRBY. Every call is bounded by the store's timeout; a failure or timeout
becomes `StoreUnavailableError`, naming the server but never the URL (it may hold a password).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import TypeAdapter
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from agent_runtime.store.base import (
    ApprovalRefusedError,
    ConversationNotFoundError,
    RefusalReason,
    StoreSettings,
    StoreUnavailableError,
    utc_day,
)
from agent_runtime.store.models import (
    Approval,
    BudgetUsage,
    Conversation,
    Decision,
    Entry,
    StoreHealth,
    ToolCallRequest,
    Turn,
)

T = TypeVar("T")

#: Key prefix of everything the runtime writes, so a shared Redis shows whose keys these are.
KEY_PREFIX = "agent-runtime"
#: A daily count outlives its day by this much, so a late call near midnight still finds it.
DAY_KEY_MARGIN = timedelta(days=1)
#: Connections per replica: enough for the turns one pod serves at once, and bounded, so that
#: many replicas cannot use up Redis's `maxclients` (10,000 by default); a call waits for one.
MAX_CONNECTIONS = 32
#: Retries of a command on a broken connection: one, as a pooled connection is stale after
#: Redis restarts; more would only stretch the wait for an answer that is not coming.
STALE_CONNECTION_RETRIES = 1

_ENTRIES: TypeAdapter[tuple[Entry, ...]] = TypeAdapter(tuple[Entry, ...])

#: Refresh the TTL of the conversation's keys (those that exist); ARGV[1] is the TTL in ms.
_REFRESH = "for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end\n"

#: Append entries (ARGV[2], a JSON array) as a new turn, or at the end of the last one
#: (ARGV[3] == '0'), keep the latest ARGV[4] turns, stamp ARGV[5]. 0: no such conversation.
_APPEND = (
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last = false
if ARGV[3] == '0' then last = redis.call('LINDEX', KEYS[2], -1) end
if last then
  redis.call('LSET', KEYS[2], -1, string.sub(last, 1, -2) .. ',' .. string.sub(ARGV[2], 2))
else
  redis.call('RPUSH', KEYS[2], ARGV[2])
end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('HSET', KEYS[1], 'updated_at', ARGV[5])
"""
    + _REFRESH
    + "return 1"
)

#: Hold calls (ARGV[2..]: id, record, expiry in ms, repeated) unless held before; answer each
#: call's record and decision. An empty answer: no such conversation.
_HOLD = (
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local answer = {}
for i = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[3], 'call:' .. ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HSET', KEYS[3], 'expires:' .. ARGV[i], ARGV[i + 2])
  end
  table.insert(answer, redis.call('HGET', KEYS[3], 'call:' .. ARGV[i]))
  table.insert(answer, redis.call('HGET', KEYS[3], 'decision:' .. ARGV[i]) or '')
end
"""
    + _REFRESH
    + "return answer"
)

#: Decide held call ARGV[2] with decision ARGV[3], once, before its expiry by Redis's clock.
_DECIDE = (
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local record = redis.call('HGET', KEYS[3], 'call:' .. ARGV[2])
if not record then return {'unknown'} end
if redis.call('HEXISTS', KEYS[3], 'decision:' .. ARGV[2]) == 1 then return {'decided'} end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if now_ms >= tonumber(redis.call('HGET', KEYS[3], 'expires:' .. ARGV[2])) then
  return {'expired'}
end
redis.call('HSET', KEYS[3], 'decision:' .. ARGV[2], ARGV[3])
"""
    + _REFRESH
    + "return {'ok', record}"
)


class RedisStore:
    """A `ConversationStore` in Redis, shared by every replica of the agent."""

    kind: Literal["redis"] = "redis"

    def __init__(self, settings: StoreSettings, url: str) -> None:
        self._settings = settings
        self._where = _server(url)
        self._pool = pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=settings.timeout_seconds,
            decode_responses=True,
            socket_timeout=settings.timeout_seconds,
            socket_connect_timeout=settings.timeout_seconds,
        )
        self._client = Redis(
            connection_pool=pool, retry=Retry(NoBackoff(), STALE_CONNECTION_RETRIES)
        )
        self._append = self._client.register_script(_APPEND)
        self._hold = self._client.register_script(_HOLD)
        self._decide = self._client.register_script(_DECIDE)
        self._prefix = f"{KEY_PREFIX}:{settings.scope}"

    async def create(self, agent: str) -> Conversation:
        conversation = Conversation.start(agent)
        now = conversation.created_at
        meta = self._keys(conversation.id)[0]
        stamps: dict[FieldT, EncodableT] = {
            "agent": agent,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
        }
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(meta, mapping=stamps)
            pipe.pexpire(meta, self._ttl_ms)
            await self._call(pipe.execute())
        return conversation

    async def get(self, conversation_id: str) -> Conversation:
        meta, turns = self._keys(conversation_id)[:2]
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hgetall(meta)
            pipe.lrange(turns, 0, -1)
            stamps, raw_turns = await self._call(pipe.execute())
        if not stamps:
            raise ConversationNotFoundError(conversation_id)
        return Conversation(
            id=conversation_id,
            agent=stamps["agent"],
            created_at=datetime.fromisoformat(stamps["created_at"]),
            updated_at=datetime.fromisoformat(stamps["updated_at"]),
            turns=tuple(Turn(entries=_ENTRIES.validate_json(raw)) for raw in raw_turns),
        )

    async def append(
        self, conversation_id: str, entries: Sequence[Entry], *, new_turn: bool
    ) -> None:
        if not entries:
            await self.get(conversation_id)  # still refused when the conversation is gone
            return
        args: list[EncodableT] = [
            self._ttl_ms,
            _ENTRIES.dump_json(tuple(entries)).decode(),
            "1" if new_turn else "0",
            self._settings.history_turns,
            datetime.now(UTC).isoformat(),
        ]
        found = await self._call(self._append(keys=self._keys(conversation_id), args=args))
        if not found:
            raise ConversationNotFoundError(conversation_id)

    async def hold(
        self, conversation_id: str, calls: Sequence[ToolCallRequest]
    ) -> tuple[Approval, ...]:
        if not calls:
            await self.approvals(conversation_id)  # still refused when the conversation is gone
            return ()
        now = datetime.now(UTC)
        args: list[EncodableT] = [self._ttl_ms]
        for call in calls:
            approval = Approval.hold(
                conversation_id, call, now, self._settings.approval_timeout_seconds
            )
            expires_ms = int(approval.expires_at.timestamp() * 1000)
            args += [call.id, approval.model_dump_json(), expires_ms]
        answer = await self._call(self._hold(keys=self._keys(conversation_id), args=args))
        if not answer:
            raise ConversationNotFoundError(conversation_id)
        return tuple(
            _approval(record, decision or None, now)
            for record, decision in zip(answer[::2], answer[1::2], strict=True)
        )

    async def approvals(self, conversation_id: str) -> tuple[Approval, ...]:
        meta, _, approvals = self._keys(conversation_id)[:3]
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.exists(meta)
            pipe.hgetall(approvals)
            exists, fields = await self._call(pipe.execute())
        if not exists:
            raise ConversationNotFoundError(conversation_id)
        now = datetime.now(UTC)
        held = (
            _approval(record, fields.get(f"decision:{name.removeprefix('call:')}"), now)
            for name, record in fields.items()
            if name.startswith("call:")
        )
        return tuple(sorted(held, key=lambda approval: (approval.created_at, approval.id)))

    async def decide(self, conversation_id: str, approval_id: str, decision: Decision) -> Approval:
        args: list[EncodableT] = [self._ttl_ms, approval_id, decision.model_dump_json()]
        answer = await self._call(self._decide(keys=self._keys(conversation_id), args=args))
        outcome: str = answer[0]
        if outcome == "gone":
            raise ConversationNotFoundError(conversation_id)
        if outcome != "ok":
            reason: RefusalReason = (
                "expired"
                if outcome == "expired"
                else "decided"
                if outcome == "decided"
                else "unknown"
            )
            raise ApprovalRefusedError(conversation_id, approval_id, reason)
        return _approval(answer[1], decision.model_dump_json(), datetime.now(UTC))

    async def spend(self, conversation_id: str | None, tokens: int) -> BudgetUsage:
        now = datetime.now(UTC)
        day = utc_day(now)
        day_key = f"{self._prefix}:day:{day}"
        day_ends = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incrby(day_key, tokens)
            pipe.expireat(day_key, day_ends + DAY_KEY_MARGIN)
            if conversation_id is not None:
                tokens_key = self._keys(conversation_id)[3]
                pipe.incrby(tokens_key, tokens)
                pipe.pexpire(tokens_key, self._ttl_ms)
            answers = await self._call(pipe.execute())
        conversation_tokens = answers[2] if conversation_id is not None else 0
        return BudgetUsage(conversation_tokens=conversation_tokens, day_tokens=answers[0], day=day)

    async def usage(self, conversation_id: str | None) -> BudgetUsage:
        day = utc_day(datetime.now(UTC))
        keys = [f"{self._prefix}:day:{day}"]
        if conversation_id is not None:
            keys.append(self._keys(conversation_id)[3])
        counts = await self._call(self._client.mget(keys))
        conversation_tokens = int(counts[1] or 0) if conversation_id is not None else 0
        return BudgetUsage(
            conversation_tokens=conversation_tokens, day_tokens=int(counts[0] or 0), day=day
        )

    async def health(self) -> StoreHealth:
        try:
            await self._call(self._client.ping())
        except StoreUnavailableError as exc:
            return StoreHealth(ok=False, store=self.kind, reason=str(exc))
        return StoreHealth(ok=True, store=self.kind)

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._pool.disconnect()  # a pool given to the client is not closed by it

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self._settings.ttl_seconds * 1000))

    def _keys(self, conversation_id: str) -> list[str]:
        """The conversation's keys: meta, turns, approvals, tokens (the scripts' KEYS order)."""
        base = f"{self._prefix}:conv:{conversation_id}"
        return [base, f"{base}:turns", f"{base}:approvals", f"{base}:tokens"]

    async def _call(self, answer: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                return await answer
        except TimeoutError:
            message = f"Redis at {self._where} did not answer within"
            raise StoreUnavailableError(f"{message} {self._settings.timeout_seconds:g}s") from None
        except (RedisError, OSError) as exc:
            raise StoreUnavailableError(
                f"Redis at {self._where} is unavailable: {type(exc).__name__}: {exc}"
            ) from None


def _server(url: str) -> str:
    """The server of a Redis URL as `host:port`, without the credentials it may carry."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def _approval(record: str, decision: str | None, now: datetime) -> Approval:
    """An approval as stored, with its decision, or read as expired past its expiry."""
    approval = Approval.model_validate_json(record)
    if decision:
        decided = Decision.model_validate_json(decision)
        status = "allowed" if decided.allow else "denied"
        return approval.model_copy(update={"status": status, "decision": decided})
    if approval.expired(now):
        return approval.model_copy(update={"status": "expired"})
    return approval
