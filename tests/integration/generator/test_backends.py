"""Prompts full of URL metacharacters and unicode reach the Flux worker (GET ?prompt=…)
exactly as written: a property over the generator's backend call and a real stand-in."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from easel.settings import load_registry
from easel_devtools.standins import FluxWorkerStandin
from easel_generator.backends import Backend, Generated

URL_METACHARACTERS = "&#?%+=/ ;:@$,'\"<>[]{}|\\^`~!*()"
PERCENT_LOOKALIKES = ["%20", "%2B", "%%", "%zz", "+%26+", "a=b&c=d", "#frag", "?q=1"]

characters = st.one_of(
    st.sampled_from(URL_METACHARACTERS),
    st.characters(exclude_categories=("Cs",)),  # any code point UTF-8 can carry
)
prompts = (
    st.lists(
        st.one_of(
            st.text(characters, min_size=1, max_size=12), st.sampled_from(PERCENT_LOOKALIKES)
        ),
        min_size=1,
        max_size=12,
    )
    .map("".join)
    .filter(lambda prompt: prompt.strip() != "" and len(prompt) <= 1000)
)


def test_prompts_reach_the_flux_worker_decoded() -> None:
    with FluxWorkerStandin() as flux, asyncio.Runner() as runner:
        spec = load_registry({"FLUX_WORKER_URL": flux.url}).get("flux")
        assert spec is not None
        backend = Backend(spec, retry_base_seconds=0.01)

        @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(prompt=prompts)
        def reaches_verbatim(prompt: str) -> None:
            result = runner.run(backend.generate(prompt))
            assert isinstance(result, Generated), result
            assert flux.prompts[-1] == prompt

        try:
            reaches_verbatim()
        finally:
            runner.run(backend.__aexit__(None, None, None))
    assert flux.hits >= 80
