"""The service's errors: one body shape for all, and the HTTP status of each failure.

Every error is answered in Mistral's shape (`protocol.ErrorBody`), which OpenAI's SDK reads
too. The engine says what went wrong (`events.LoopError`'s code); the status it gets is
decided here, in `LOOP_ERROR_STATUS`, so other API shapes can map the same codes their way.
Bad input is a 4xx with a message a person understands, never a 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent_runtime.auth import AuthUnavailable, BearerAuth, Unauthorized
from agent_runtime.events import LoopError, LoopErrorCode
from agent_runtime.logs import logger
from agent_runtime.protocol import ErrorBody, ValidationDetail
from agent_runtime.stats import stats_of
from agent_runtime.store import (
    ApprovalRefusedError,
    BudgetExceededError,
    ConversationNotFoundError,
    StoreUnavailableError,
)

#: An error's `type` by status, as Mistral's and OpenAI's APIs name them; any other 4xx is an
#: `invalid_request_error`, any 5xx an `api_error`.
ERROR_TYPES: Final[Mapping[int, str]] = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}

#: The HTTP status of each way the loop fails: the caller's request (4xx), the model or the
#: network it sits behind (502 to 504).
LOOP_ERROR_STATUS: Final[Mapping[LoopErrorCode, int]] = {
    "invalid_tool_choice": 400,
    "max_turns_exceeded": 422,
    "max_tool_calls_exceeded": 422,
    "invalid_structured_output": 422,
    "request_timeout": 504,
    "egress_denied": 503,
    "model_unavailable": 503,
    "model_timeout": 504,
    "model_error": 502,
    "budget_exceeded": 429,
    "store_unavailable": 503,
}


class ModelNotFound(Exception):
    """A request named a model other than this agent."""

    def __init__(self, requested: str, served: str) -> None:
        super().__init__(requested)
        self.requested = requested
        self.served = served

    def __str__(self) -> str:
        return f"model {self.requested!r} is not served here; this runtime serves {self.served!r}"


def error_type(status: int) -> str:
    """The `type` of an error body, as Mistral's and OpenAI's APIs name them."""
    if status >= 500:
        return "api_error"
    return ERROR_TYPES.get(status, "invalid_request_error")


def loop_error_status(error: LoopError) -> int:
    """The HTTP status a loop error is answered with."""
    return LOOP_ERROR_STATUS[error.code]


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    detail: list[ValidationDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error in Mistral's shape, which OpenAI's SDK also reads."""
    body = ErrorBody(
        message=message, type=error_type(status), param=param, code=code, detail=detail
    )
    # `param` and `code` are always present (null when not known), as in Mistral's and
    # OpenAI's own error bodies; `detail` only on a 422.
    return JSONResponse(
        body.model_dump(exclude={"detail"} if detail is None else set()),
        status_code=status,
        headers=dict(headers or {}),
    )


def unreadable_body(cause: BaseException) -> str:
    """Why a body could not be read as JSON at all, in words."""
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not valid JSON: it is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "the body is not valid JSON: it is nested too deeply"
    return f"the body is not valid JSON: {type(cause).__name__}"


def validation_response(exc: RequestValidationError) -> Response:
    """A 400 for a body that is not JSON, else a 422 naming each field that is wrong."""
    errors = list(exc.errors())
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            return error_response(400, f"the body is not valid JSON: {reason}", code="invalid_json")
    detail = [
        ValidationDetail(
            loc=[str(p) if not isinstance(p, int) else p for p in error.get("loc", ())],
            msg=str(error.get("msg", "")),
            type=str(error.get("type", "")),
        )
        for error in errors
    ]
    first = detail[0] if detail else None
    param = ".".join(str(p) for p in first.loc[1:]) if first is not None else None
    message = "; ".join(f"{'.'.join(str(p) for p in d.loc[1:]) or 'body'}: {d.msg}" for d in detail)
    return error_response(
        422,
        message or "the request is not valid",
        code=first.type if first is not None else None,
        param=param or None,
        detail=detail,
    )


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors: an unknown route, a wrong method, a body it could not decode."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI could not decode the body (not UTF-8, nested too deeply): no JSON error.
        return error_response(400, unreadable_body(exc.__cause__), code="invalid_json")
    if exc.status_code == 404 and exc.detail == "Not Found":  # Starlette's own: no such route
        message = f"no route {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    return error_response(exc.status_code, message, code=code, headers=exc.headers)


async def on_loop_error(request: Request, exc: Exception) -> Response:
    """A request the engine could not finish, with the status of its code."""
    assert isinstance(exc, LoopError)
    stats_of(request.scope).error_code = exc.code
    return error_response(loop_error_status(exc), exc.message, code=exc.code)


async def on_unauthorized(request: Request, exc: Exception) -> Response:
    return error_response(
        401, str(exc), code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
    )


async def on_auth_unavailable(request: Request, exc: Exception) -> Response:
    logger.error("Failed to read the API token", extra={"fields": {"reason": str(exc)}})
    return error_response(503, "the API token is not available", code="auth_unavailable")


async def on_model_not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, str(exc), code="model_not_found", param="model")


#: The status of a refused decision on a held tool call: never a second run, always a 4xx.
APPROVAL_REFUSED_STATUS: Final[Mapping[str, int]] = {"unknown": 404, "expired": 410, "decided": 409}


async def on_store_error(request: Request, exc: Exception) -> Response:
    """What the conversation store refused (4xx) or could not do in time (503)."""
    if isinstance(exc, ConversationNotFoundError):
        return error_response(404, str(exc), code="conversation_not_found")
    if isinstance(exc, ApprovalRefusedError):
        status = APPROVAL_REFUSED_STATUS[exc.reason]
        return error_response(status, str(exc), code=f"tool_call_{exc.reason}")
    if isinstance(exc, BudgetExceededError):
        retry = exc.retry_after_seconds
        headers = {"Retry-After": str(retry)} if retry is not None else None
        stats_of(request.scope).error_code = "budget_exceeded"
        return error_response(429, str(exc), code="budget_exceeded", headers=headers)
    assert isinstance(exc, StoreUnavailableError)
    logger.warning("Failed to reach the conversation store", extra={"fields": {"reason": str(exc)}})
    return error_response(503, str(exc), code="store_unavailable")


def install_error_handlers(app: FastAPI, auth: BearerAuth | None = None) -> None:
    """Answer every known failure in the error shape, with the right status.

    FastAPI parses the body before it runs the auth dependency, so a request that fails
    validation has its token checked here first: an anonymous caller gets a 401, never a
    description of what the API expects.
    """

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if auth is not None:  # every route that validates input is a guarded one
            try:
                auth.check(request.headers.get("authorization"))
            except Unauthorized as refused:
                return await on_unauthorized(request, refused)
            except AuthUnavailable as unavailable:
                return await on_auth_unavailable(request, unavailable)
        return validation_response(exc)

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(LoopError, on_loop_error)
    app.add_exception_handler(Unauthorized, on_unauthorized)
    app.add_exception_handler(AuthUnavailable, on_auth_unavailable)
    app.add_exception_handler(ModelNotFound, on_model_not_found)
    for store_error in (
        ConversationNotFoundError,
        ApprovalRefusedError,
        BudgetExceededError,
        StoreUnavailableError,
    ):
        app.add_exception_handler(store_error, on_store_error)
