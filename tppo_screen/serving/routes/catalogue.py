"""What the scores explain: GET /v1/red-flags (every red flag and legitimacy cue, or one by id)
and GET /v1/model (the model card)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from tppo_screen.config import Settings
from tppo_screen.model.artifacts import Model, ModelCard
from tppo_screen.serving.dependencies import LoadedModel, key_guard
from tppo_screen.serving.schemas import ERROR_RESPONSES, ErrorResponse, Language, RedFlag

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no such entry"}}


def router(settings: Settings) -> APIRouter:
    """The catalogue and model-card routes, behind the API key when keys are configured."""
    catalogue = APIRouter(dependencies=key_guard(settings), responses={401: ERROR_RESPONSES[401]})

    @catalogue.get("/v1/red-flags", tags=["catalogue"])
    async def red_flags(model: LoadedModel, lang: Annotated[Language, Query()] = "id") -> list[RedFlag]:
        """Every red flag and legitimacy cue the model knows, with its meaning and sources."""
        return [red_flag_entry(model, entry_id, lang) for entry_id in model.catalogue.ids]

    @catalogue.get("/v1/red-flags/{flag_id}", tags=["catalogue"], responses=NOT_FOUND)
    async def red_flag(
        model: LoadedModel, flag_id: str, lang: Annotated[Language, Query()] = "id"
    ) -> RedFlag:
        """One red flag or legitimacy cue by id (e.g. `passport_handling`)."""
        if flag_id not in model.catalogue.ids:
            raise HTTPException(404, f"no red flag {flag_id!r}; GET /v1/red-flags lists them")
        return red_flag_entry(model, flag_id, lang)

    @catalogue.get("/v1/model", tags=["model"])
    async def model_card(model: LoadedModel) -> ModelCard:
        """The model card: version, training data, metrics and risk-level thresholds."""
        return model.card

    return catalogue


def red_flag_entry(model: Model, entry_id: str, lang: Language) -> RedFlag:
    entry = model.catalogue.entry(entry_id)
    return RedFlag(
        id=entry.id,
        kind=entry.kind,
        severity=entry.severity,
        label=entry.label[lang],
        explanation=entry.explanation[lang],
        ilo_indicator=entry.ilo_indicator,
        sources=list(entry.sources),
        weight=round(model.flag_weights[entry.id], 4),
        examples=list(entry.fires),
    )
