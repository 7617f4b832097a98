"""Corrections: POST /v1/feedback (one), /v1/feedback/batch; GET /v1/feedback (a page) and
/v1/feedback/export (CSV or JSONL) with an admin key; GET /v1/feedback/status for the demo page.

A correction is recorded once per (ad id, sender): the sender is the name of the API key used
(`name:key` in TPPO_API_KEYS), never the key; without keys, `anonymous`. The store
(`tppo_screen.feedback`) is opened in the lifespan; with TPPO_FEEDBACK_DB=off (or
`serve --no-feedback`) these routes answer 404 and the status says `"feedback": false`.
Database work runs in the thread pool, never on the event loop.
"""

import logging
from collections.abc import Sequence
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tppo_screen.config import Settings
from tppo_screen.errors import FeedbackError, InputError
from tppo_screen.feedback.store import (
    MAX_REASON_CHARS,
    MAX_VERSION_CHARS,
    Correction,
    FeedbackStore,
    export_text,
    open_store,
    problems,
    store_url,
)
from tppo_screen.model.artifacts import Model
from tppo_screen.serving.dependencies import API_KEY_HEADER, json_body, key_guard
from tppo_screen.serving.middleware import key_matches
from tppo_screen.serving.schemas import ERROR_RESPONSES, EXAMPLES, ErrorResponse, ItemId, ad_text_field

logger = logging.getLogger(__name__)

ANONYMOUS = "anonymous"  # the sender when the server has no API keys
FEEDBACK_OFF = (
    "feedback is off on this server (TPPO_FEEDBACK_DB=off or serve --no-feedback): "
    "corrections cannot be recorded here"
)
NEEDS_ADMIN = "listing and exporting corrections needs an admin key (TPPO_ADMIN_KEYS) in X-API-Key"
MAX_FLAGS = 50
MAX_ROW = 2**31 - 1  # the store's row numbers are 32-bit integers (PostgreSQL `integer`)

FEEDBACK_EXAMPLES: dict[str, dict[str, Any]] = {
    "false_alarm": {
        "summary": "Alarm palsu: penempatan resmi",
        "value": {
            "id": "iklan-002",
            "text": EXAMPLES["licensed_placement"]["value"]["text"],
            "label": "legit",
            "reason": "P3MI berizin, terdaftar di SISKOP2MI; dicek di situs BP2MI",
            "model_version": "default@1a2b3c4d",
            "score": 0.71,
        },
    },
    "missed": {
        "summary": "Terlewat: pola penipuan online",
        "value": {
            "id": "iklan-001",
            "text": EXAMPLES["scam_compound"]["value"]["text"],
            "label": "high_risk",
            "flags": ["salary_too_good", "chat_only_contact"],
            "reason": "Dilaporkan korban: kerja di kompleks penipuan, paspor ditahan",
        },
    },
    "without_id": {
        "summary": "Tanpa id: id = SHA-256 teks (16 hex pertama)",
        "value": {"text": EXAMPLES["office_job"]["value"]["text"], "label": "legit"},
    },
}
BATCH_FEEDBACK_EXAMPLES: dict[str, dict[str, Any]] = {
    "two": {
        "summary": "Dua koreksi",
        "value": {"items": [FEEDBACK_EXAMPLES["false_alarm"]["value"], FEEDBACK_EXAMPLES["missed"]["value"]]},
    }
}


class FeedbackItemShape(BaseModel):
    """A correction; `router` adds the text limits."""

    model_config = ConfigDict(extra="forbid")

    id: ItemId = None
    text: str
    label: Literal["high_risk", "legit"] = Field(
        description="What the ad is, as a person decided: `high_risk` or `legit` (the corpus labels)."
    )
    reason: str | None = Field(None, max_length=MAX_REASON_CHARS, description="Why, in a few words.")
    flags: list[str] = Field(
        [], max_length=MAX_FLAGS, description="Red-flag ids that apply (GET /v1/red-flags lists them)."
    )
    model_version: str | None = Field(
        None, max_length=MAX_VERSION_CHARS, description="`model_version` of the score being corrected."
    )
    score: float | None = Field(None, ge=0, le=1, description="The score being corrected.")

    @field_validator("score", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        if isinstance(value, bool):  # JSON true/false would pass as 1.0/0.0
            raise ValueError("must be a number between 0 and 1")
        return value


class FeedbackBatchShape(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Sequence[FeedbackItemShape]


class FeedbackRecorded(BaseModel):
    id: str | int = Field(description="the ad's id: yours, or the SHA-256 of the text (16 hex)")
    recorded: bool = Field(description="the correction is in the store (now or before)")
    duplicate: bool = Field(description="this sender had already corrected this ad: the first one stands")


class FeedbackBatchRecorded(BaseModel):
    results: list[FeedbackRecorded] = Field(description="one per item, in input order")
    recorded: int = Field(description="corrections new in the store")
    duplicates: int = Field(description="corrections this sender had already sent")


class StoredCorrection(BaseModel):
    row: int = Field(description="the store's row number: pass it as `after` for the next page")
    id: str
    text: str = Field(description="masked (phones, e-mails, names, handles) unless the operator opted out")
    label: Literal["high_risk", "legit"]
    reason: str | None
    flags: list[str]
    sender: str = Field(description="the name of the API key that sent it")
    created_at: str = Field(description="UTC, ISO 8601")
    model_version: str | None
    score: float | None
    masked: bool


class FeedbackPage(BaseModel):
    items: list[StoredCorrection]
    next: int | None = Field(description="`after` for the next page; null on the last page")
    total: int = Field(description="corrections in the store")


class FeedbackStatus(BaseModel):
    feedback: bool = Field(description="whether this server records corrections")


ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "no key, or a key the server does not know"},
    403: {"model": ErrorResponse, "description": "a scoring key: listing and export need an admin key"},
    404: {"model": ErrorResponse, "description": "feedback is off on this server"},
    503: {"model": ErrorResponse, "description": "the store cannot be reached"},
}


def open_feedback(settings: Settings, model: Model) -> FeedbackStore | None:
    """The store TPPO_FEEDBACK_DB names, migrated, its flag ids those of `model`'s catalogue;
    None when feedback is off. A store that cannot be opened stops the startup (one log line)."""
    if store_url(settings.feedback_db) is None:
        logger.info("feedback is off (TPPO_FEEDBACK_DB=off)")
        return None
    try:
        store = open_store(settings.feedback_db, mask=settings.feedback_mask, known_flags=model.catalogue.ids)
    except FeedbackError as exc:
        logger.error("cannot start: %s", exc)
        raise
    masked = "masked" if settings.feedback_mask else "NOT masked (TPPO_FEEDBACK_MASK=0)"
    logger.info("corrections store %s, texts %s", store.url, masked)
    return store


def feedback_store(request: Request) -> FeedbackStore:
    store: FeedbackStore | None = getattr(request.state, "feedback", None)
    if store is None:
        raise HTTPException(404, FEEDBACK_OFF)
    return store


async def _admin_key_documented(key: Annotated[str | None, Security(API_KEY_HEADER)]) -> None:
    """Nothing: puts the X-API-Key scheme on the admin routes in the OpenAPI document."""


def _matched(settings: Settings, key: str | None, keys: list[str]) -> str | None:
    given = (key or "").encode("latin-1", "replace")  # back to the header's bytes
    found = [k for k in keys if key_matches(given, [k])]
    return settings.key_name(found[0]) if key is not None and found else None


async def sender(request: Request) -> str:
    """Who sends a correction: the name of the API (or admin) key, or `anonymous` on a server
    without keys. (The key itself was checked by `middleware.KeyGuard`.)"""
    settings: Settings = request.app.state.settings
    key = request.headers.get("x-api-key")
    return _matched(settings, key, [*settings.api_keys, *settings.admin_keys]) or ANONYMOUS


async def admin(request: Request) -> str:
    """The admin key's name; 401 without a key (or an unknown one), 403 with a scoring key."""
    settings: Settings = request.app.state.settings
    key = request.headers.get("x-api-key")
    if key is None:
        raise HTTPException(401, NEEDS_ADMIN)
    name = _matched(settings, key, settings.admin_keys)
    if name is not None:
        return name
    if _matched(settings, key, settings.api_keys) is not None:
        raise HTTPException(403, "this is a scoring key; " + NEEDS_ADMIN)
    if not settings.admin_keys:
        raise HTTPException(403, "this server has no admin keys; " + NEEDS_ADMIN)
    raise HTTPException(401, "invalid key; " + NEEDS_ADMIN)


Store = Annotated[FeedbackStore, Depends(feedback_store)]
Sender = Annotated[str, Depends(sender)]
Admin = Annotated[str, Depends(admin)]


def request_models(settings: Settings) -> tuple[type[FeedbackItemShape], type[FeedbackBatchShape]]:
    """The correction and batch bodies with `settings`' limits (as the scoring routes have)."""
    text_field = ad_text_field(settings, "The ad text as it was scored")

    class FeedbackItem(FeedbackItemShape):
        text: str = text_field

    class FeedbackBatch(FeedbackBatchShape):
        items: list[FeedbackItem] = Field(
            min_length=1,
            max_length=settings.max_batch_items,
            description=f"1–{settings.max_batch_items:,} corrections, recorded all or none.",
        )

        @field_validator("items")
        @classmethod
        def _total_characters(cls, items: list[FeedbackItem]) -> list[FeedbackItem]:
            total = sum(len(item.text) for item in items)
            if total > settings.max_batch_chars:
                raise ValueError(
                    f"{total:,} characters in all; at most {settings.max_batch_chars:,} per batch "
                    "(TPPO_MAX_BATCH_CHARS): split the batch"
                )
            return items

    return FeedbackItem, FeedbackBatch


def router(settings: Settings) -> APIRouter:
    """The feedback routes, behind the API key when keys are configured."""
    feedback = APIRouter(
        tags=["feedback"],
        dependencies=key_guard(settings),
        responses={401: ERROR_RESPONSES[401], 404: ADMIN_RESPONSES[404], 503: ADMIN_RESPONSES[503]},
    )
    _posting_routes(feedback, settings)
    documented = [Depends(_admin_key_documented)] if settings.admin_keys else []

    @feedback.get("/v1/feedback/status")
    async def status(request: Request) -> FeedbackStatus:
        """Whether this server records corrections (the demo page shows its button if so)."""
        return FeedbackStatus(feedback=getattr(request.state, "feedback", None) is not None)

    @feedback.get("/v1/feedback", responses=ADMIN_RESPONSES, dependencies=documented)
    async def listing(
        _: Admin,
        store: Store,
        after: Annotated[
            int, Query(ge=0, le=MAX_ROW, description="Corrections after this row (`next`).")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000, description="Corrections per page.")] = 100,
    ) -> FeedbackPage:
        """The recorded corrections, oldest first, a page at a time (admin key only)."""
        rows, next_row = await run_in_threadpool(store.page, after, limit)
        total = await run_in_threadpool(store.count)
        return FeedbackPage(items=[_stored(row) for row in rows], next=next_row, total=total)

    @feedback.get(
        "/v1/feedback/export", response_class=Response, responses=_export_responses(), dependencies=documented
    )
    async def export(
        _: Admin,
        store: Store,
        format: Annotated[
            Literal["csv", "jsonl"], Query(description="csv or jsonl (one JSON a line)")
        ] = "csv",
    ) -> Response:
        """Every correction as a file (admin key only): the columns `tppo-screen feedback
        export` writes and training reads."""
        text = await run_in_threadpool(lambda: export_text(store.frame(), format))
        kind = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        disposition = f'attachment; filename="corrections.{format}"'
        return Response(text, media_type=kind, headers={"Content-Disposition": disposition})

    return feedback


def _posting_routes(feedback: APIRouter, settings: Settings) -> None:
    """POST /v1/feedback and /v1/feedback/batch, their bodies limited as `settings` says."""
    Item, Batch = request_models(settings)  # noqa: N806 (classes)
    posting = [Depends(json_body)]
    refusals: dict[int | str, dict[str, Any]] = {code: ERROR_RESPONSES[code] for code in (413, 415, 422)}
    duplicate = {"model": FeedbackRecorded, "description": "this sender had sent it before: unchanged"}

    @feedback.post(
        "/v1/feedback",
        status_code=201,
        response_model=FeedbackRecorded,
        dependencies=posting,
        responses={**refusals, 200: duplicate},
    )
    async def record(
        body: Annotated[Item, Body(openapi_examples=FEEDBACK_EXAMPLES)],  # type: ignore[valid-type]
        store: Store,
        who: Sender,
    ) -> JSONResponse:
        """Record what a person decided about an ad: 201 when recorded, 200 with
        `"duplicate": true` when this sender (the API key's name) had corrected this ad before
        (the first correction stands). A label other than `high_risk`/`legit`, an empty text or
        an unknown red-flag id gets 422 naming the field."""
        [result] = await _add(store, [cast(FeedbackItemShape, body)], who, batch=False)
        return JSONResponse(result.model_dump(), status_code=200 if result.duplicate else 201)

    @feedback.post(
        "/v1/feedback/batch", response_model=FeedbackBatchRecorded, dependencies=posting, responses=refusals
    )
    async def record_batch(
        body: Annotated[Batch, Body(openapi_examples=BATCH_FEEDBACK_EXAMPLES)],  # type: ignore[valid-type]
        store: Store,
        who: Sender,
    ) -> FeedbackBatchRecorded:
        """Record many corrections at once (all or none); results in input order, each as
        `POST /v1/feedback` would say it."""
        results = await _add(store, cast(FeedbackBatchShape, body).items, who, batch=True)
        new = sum(not result.duplicate for result in results)
        return FeedbackBatchRecorded(results=results, recorded=new, duplicates=len(results) - new)


def _export_responses() -> dict[int | str, dict[str, Any]]:
    files: dict[str, Any] = {"text/csv": {}, "application/x-ndjson": {}}
    return {**ADMIN_RESPONSES, 200: {"description": "the corrections file", "content": files}}


async def _add(
    store: FeedbackStore, items: Sequence[FeedbackItemShape], who: str, batch: bool
) -> list[FeedbackRecorded]:
    corrections = _corrections(items, store.known_flags, batch)
    try:
        results = await run_in_threadpool(store.add, corrections, who)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    except FeedbackError as exc:
        logger.error("%s", exc)
        raise HTTPException(503, "the corrections store cannot be written now; try again later") from None
    return [
        FeedbackRecorded(
            id=item.id if item.id is not None else result.ad_id, recorded=True, duplicate=result.duplicate
        )
        for item, result in zip(items, results, strict=True)
    ]


def _corrections(
    items: Sequence[FeedbackItemShape], known_flags: frozenset[str], batch: bool
) -> list[Correction]:
    """The items as corrections; a 422 naming every field the store would refuse (an unknown
    red-flag id: `flags[1]`, in a batch `items[3].flags[1]`)."""
    corrections, errors = [], []
    for n, item in enumerate(items):
        correction = Correction(
            text=item.text,
            label=item.label,
            ad_id=None if item.id is None else str(item.id),
            reason=item.reason,
            flags=tuple(item.flags),
            model_version=item.model_version,
            model_score=item.score,
        )
        for field, why in problems(correction, known_flags):
            name, _, index = field.partition("[")
            where = (name, int(index.rstrip("]"))) if index else (name,)
            loc = ("body", *(("items", n) if batch else ()), *where)
            errors.append({"type": "value_error", "loc": loc, "msg": why, "input": None})
        corrections.append(correction)
    if errors:
        raise RequestValidationError(errors)
    return corrections


def _stored(row: dict[str, Any]) -> StoredCorrection:
    return StoredCorrection(
        row=row["row"],
        id=row["ad_id"],
        text=row["text"],
        label=row["label"],
        reason=row["reason"],
        flags=row["flags"],
        sender=row["sender"],
        created_at=row["created_at"],
        model_version=row["model_version"],
        score=row["model_score"],
        masked=row["masked"],
    )
