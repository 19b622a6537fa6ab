"""The signed HTTP client: guarded GETs of JSON documents and double-knock POSTs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import anyio
import httpx2

from federation.addresses import Resolver, check_public_url
from federation.bodies import declares_more_than, without_nul_escapes
from federation.errors import (
    BadResponse,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    InvalidActivity,
    ResponseTooLarge,
)
from federation.host_pools import DEFAULT_PER_HOST_CONNECTIONS, HostPoolTransport
from federation.public_transport import PublicAddressBackend, PublicOnlyTransport
from federation.signatures import Scheme, sign_request
from federation.vocab import ACCEPT_ACTIVITYPUB, ACTIVITY_JSON

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_REDIRECTS = 3
DRAIN_LIMIT_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Signer:
    key_id: str
    private_key_pem: str


class RequestSigning(Protocol):
    """Signs a request elsewhere (another process) and returns the headers to add."""

    async def __call__(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        signer: Signer,
        scheme: Scheme,
    ) -> dict[str, str]: ...


class SchemeMemory(Protocol):
    """Which signature scheme a host accepted last (storage provides a persistent one)."""

    def get(self, host: str) -> Scheme | None: ...

    def set(self, host: str, scheme: Scheme) -> None: ...


class InMemorySchemeMemory:
    def __init__(self) -> None:
        self._schemes: dict[str, Scheme] = {}

    def get(self, host: str) -> Scheme | None:
        return self._schemes.get(host)

    def set(self, host: str, scheme: Scheme) -> None:
        self._schemes[host] = scheme


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    url: str  # after redirects
    data: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class PostResult:
    status: int
    headers: dict[str, str]
    scheme_used: Scheme
    retried_with_other_scheme: bool = False

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


def host_key(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2].lower()


class FederationClient:
    """All outgoing federation HTTP goes through here.

    `fetch_*` raise FetchError subclasses (and InvalidActivity for unusable
    JSON). `post_activity` returns a PostResult for any HTTP status, so the
    delivery policy can classify it, and raises FetchTimeout / ConnectionFailed
    / PrivateAddressError when no status was obtained.
    """

    def __init__(
        self,
        http: httpx2.AsyncClient,
        *,
        user_agent: str,
        allow_private_addresses: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        scheme_memory: SchemeMemory | None = None,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        resolver: Resolver | None = None,
    ) -> None:
        self.http = http
        self.user_agent = user_agent
        self.allow_private_addresses = allow_private_addresses
        self.max_response_bytes = max_response_bytes
        self.timeout_seconds = timeout_seconds
        self.scheme_memory: SchemeMemory = scheme_memory or InMemorySchemeMemory()
        self.max_redirects = max_redirects
        self._resolver = resolver

    @classmethod
    def create(cls, *, user_agent: str, **options: Any) -> FederationClient:
        """A production client with its own httpx2.AsyncClient (redirects handled here).

        Its connections are kept per server, at most ``per_host_connections`` to one server at
        once (see ``federation.host_pools``). Unless private addresses are allowed, they go only
        to public addresses checked when the connection opens (``federation.public_transport``).
        """
        timeout = float(options.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
        per_host = int(options.pop("per_host_connections", DEFAULT_PER_HOST_CONNECTIONS))
        transport: HostPoolTransport
        if options.get("allow_private_addresses", False):
            transport = HostPoolTransport(per_host=per_host)
        else:
            backend = PublicAddressBackend(resolver=options.get("resolver"))
            transport = PublicOnlyTransport(backend, per_host=per_host)
        http = httpx2.AsyncClient(
            timeout=httpx2.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": user_agent},
            transport=transport,
        )
        return cls(http, user_agent=user_agent, **options)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _guard(self, url: str) -> None:
        await check_public_url(url, self.allow_private_addresses, self._resolver)

    def _headers(
        self,
        method: str,
        url: str,
        body: bytes | None,
        signer: Signer | None,
        scheme: Scheme,
        base: dict[str, str],
    ) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, **base}
        if signer is not None:
            headers.update(
                sign_request(
                    method, url, headers, body, signer.key_id, signer.private_key_pem, scheme
                )
            )
        return headers

    async def _read_capped(self, response: httpx2.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declares_more_than(declared, self.max_response_bytes):
            raise ResponseTooLarge(f"declared {declared} bytes > {self.max_response_bytes}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise ResponseTooLarge(f"more than {self.max_response_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def fetch_bytes(
        self, url: str, signer: Signer | None = None, accept: str = ACCEPT_ACTIVITYPUB
    ) -> tuple[str, bytes, dict[str, str]]:
        """GET with the guard, redirects followed here (re-checked each hop) and a size cap."""
        try:
            with anyio.fail_after(self.timeout_seconds):
                return await self._fetch_bytes(url, signer, accept)
        except (TimeoutError, httpx2.TimeoutException) as exc:
            raise FetchTimeout(f"GET {url} timed out") from exc
        except httpx2.TransportError as exc:
            raise ConnectionFailed(f"GET {url}: {exc!r}") from exc

    async def _fetch_bytes(
        self, url: str, signer: Signer | None, accept: str
    ) -> tuple[str, bytes, dict[str, str]]:
        current = url
        for _hop in range(self.max_redirects + 1):
            await self._guard(current)
            scheme = self.scheme_memory.get(host_key(current)) or Scheme.CAVAGE
            headers = self._headers("GET", current, None, signer, scheme, {"Accept": accept})
            async with self.http.stream("GET", current, headers=headers) as response:
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    current = urljoin(current, location)
                    continue
                if not 200 <= response.status_code < 300:
                    raise BadResponse(response.status_code, f"GET {current}")
                body = await self._read_capped(response)
                return current, body, dict(response.headers)
        raise BadResponse(310, f"more than {self.max_redirects} redirects from {url}")

    async def fetch_document(
        self, url: str, signer: Signer | None = None, accept: str = ACCEPT_ACTIVITYPUB
    ) -> FetchedDocument:
        final_url, body, headers = await self.fetch_bytes(url, signer, accept)
        try:
            data = json.loads(without_nul_escapes(body))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: JSON nested too deeply to decode, sent to make us fail loudly.
            raise InvalidActivity(f"{final_url} did not return JSON") from exc
        if not isinstance(data, dict):
            raise InvalidActivity(f"{final_url} did not return a JSON object")
        return FetchedDocument(final_url, data, headers)

    async def fetch_json(
        self, url: str, signer: Signer | None = None, accept: str = ACCEPT_ACTIVITYPUB
    ) -> dict[str, Any]:
        return (await self.fetch_document(url, signer, accept)).data

    async def _post_once(
        self,
        inbox_url: str,
        body: bytes,
        signer: Signer,
        scheme: Scheme,
        seconds: float,
        signing: RequestSigning | None,
    ) -> PostResult:
        base = {"Content-Type": ACTIVITY_JSON}
        if signing is None:
            headers = self._headers("POST", inbox_url, body, signer, scheme, base)
        else:
            headers = {"User-Agent": self.user_agent, **base}
            headers.update(await signing("POST", inbox_url, headers, body, signer, scheme))
        async with self.http.stream(
            "POST", inbox_url, headers=headers, content=body, timeout=httpx2.Timeout(seconds)
        ) as response:
            # Read (and drop) a bounded answer so the connection can be reused for the next POST.
            read = 0
            async for chunk in response.aiter_bytes():
                read += len(chunk)
                if read > DRAIN_LIMIT_BYTES:
                    break
            return PostResult(response.status_code, dict(response.headers), scheme)

    async def post_activity(
        self,
        inbox_url: str,
        body: bytes,
        signer: Signer,
        *,
        timeout_seconds: float | None = None,
        signing: RequestSigning | None = None,
    ) -> PostResult:
        """POST a signed activity, double-knocking on 401.

        Sign with the scheme the host accepted last (draft-cavage by default, as
        Mastodon does); on 401 retry once with the other scheme. The scheme of a
        2xx answer is remembered for the host. HTTP statuses are returned, never
        raised; no-status failures raise FetchError subclasses. ``timeout_seconds``
        (the client's own timeout by default) bounds the whole delivery, both knocks.
        ``signing`` signs elsewhere (a process pool) instead of on the event loop.
        """
        host = host_key(inbox_url)
        first = self.scheme_memory.get(host) or Scheme.CAVAGE
        timeout = timeout_seconds or self.timeout_seconds
        try:
            with anyio.fail_after(timeout):
                await self._guard(inbox_url)
                result = await self._post_once(inbox_url, body, signer, first, timeout, signing)
                if result.status == 401:
                    second = await self._post_once(
                        inbox_url, body, signer, first.other, timeout, signing
                    )
                    result = PostResult(second.status, second.headers, second.scheme_used, True)
        except (TimeoutError, httpx2.TimeoutException) as exc:
            raise FetchTimeout(f"POST {inbox_url} timed out") from exc
        except httpx2.TransportError as exc:
            raise ConnectionFailed(f"POST {inbox_url}: {exc!r}") from exc
        if result.is_success:
            self.scheme_memory.set(host, result.scheme_used)
        return result


__all__ = [
    "FederationClient",
    "FetchError",
    "FetchedDocument",
    "InMemorySchemeMemory",
    "PostResult",
    "RequestSigning",
    "SchemeMemory",
    "Signer",
]
