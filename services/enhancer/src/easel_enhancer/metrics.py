"""The enhancer's own metrics (the shared ones come from easel.telemetry.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ENHANCEMENTS = Counter(
    "easel_enhancer_enhancements_total",
    "Prompts published, by outcome (enhanced or fallback).",
    ["outcome"],
)
FALLBACKS = Counter(
    "easel_enhancer_fallbacks_total",
    "Prompts published unenhanced, by reason.",
    ["reason"],
)
LLM_DURATION = Histogram(
    "easel_enhancer_llm_duration_seconds",
    "Time of one LLM call, whatever its result.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30),
)

# Both outcomes exist from the start, so a rate over them is defined before the first job.
for _outcome in ("enhanced", "fallback"):
    ENHANCEMENTS.labels(_outcome)
