"""The enhancer's handler with its publish and its LLM injected: what it publishes, and what
it decides for the message, for every kind of request and answer."""

from __future__ import annotations

from nats.js.api import PubAck

from easel import bus
from easel.controls import Blocklist
from easel.events import ErrorCode, Event, ImageFailed, PromptEnhanced, PromptEnhancing
from easel.jobs import Ending
from easel_devtools.testing import REGISTRY, MemoryEndings, requested
from easel_enhancer.handler import Enhancer
from easel_enhancer.llm import LlmUnavailable

DELIVERY = bus.Delivery("image.requested.flux", 1, 1)


class Published(list[Event]):
    async def __call__(self, event: Event) -> PubAck:
        self.append(event)
        return PubAck(stream="EASEL_PROMPTS", seq=len(self))


class Llm:
    """Answers with `answer`, or raises LlmUnavailable(`down`)."""

    def __init__(self, answer: str = "", down: str | None = None) -> None:
        self.answer = answer
        self.down = down
        self.prompts: list[str] = []

    async def complete(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.down is not None:
            raise LlmUnavailable(self.down)
        return self.answer


def enhancer(
    published: Published, llm: Llm | None, endings: MemoryEndings | None = None
) -> Enhancer:
    return Enhancer(
        publish=published,
        registry=REGISTRY,
        llm=llm,
        endings=endings or MemoryEndings(),  # type: ignore[arg-type]
        deadline_seconds=60,
    )


async def test_an_answer_is_cleaned_and_published_as_the_prompt() -> None:
    published, llm = Published(), Llm('Sure! Here is the prompt: "A ginger cat, oil painting"')
    outcome = await enhancer(published, llm).handle(requested("tg_1_1"), DELIVERY)
    assert outcome == bus.ACK
    enhancing, event = published
    assert isinstance(enhancing, PromptEnhancing)  # beside the LLM call, and before its result
    assert (enhancing.job_id, enhancing.attempt) == ("tg_1_1", 1)
    assert isinstance(event, PromptEnhanced)
    assert (event.job_id, event.model, event.subject) == ("tg_1_1", "flux", "prompt.enhanced.flux")
    assert (event.prompt, event.enhanced, event.fallback_reason) == (
        "A ginger cat, oil painting",
        True,
        None,
    )
    assert llm.prompts == ["a cat"]


async def test_an_llm_that_is_down_falls_back_to_the_users_words() -> None:
    published = Published()
    outcome = await enhancer(published, Llm(down="timeout")).handle(requested("tg_1_2"), DELIVERY)
    assert outcome == bus.ACK
    _, event = published
    assert isinstance(event, PromptEnhanced)
    assert (event.prompt, event.enhanced, event.fallback_reason) == ("a cat", False, "timeout")


async def test_a_refusal_is_not_a_prompt() -> None:
    published = Published()
    llm = Llm("I'm sorry, I can't help with that.")
    await enhancer(published, llm).handle(requested("tg_1_3"), DELIVERY)
    _, event = published
    assert isinstance(event, PromptEnhanced)
    assert (event.prompt, event.fallback_reason) == ("a cat", "unusable_answer")


async def test_without_an_llm_the_prompt_goes_as_typed() -> None:
    published = Published()
    await enhancer(published, None).handle(requested("tg_1_4"), DELIVERY)
    _, event = published
    assert isinstance(event, PromptEnhanced)
    assert (event.prompt, event.enhanced, event.fallback_reason) == (
        "a cat",
        False,
        "not_configured",
    )


async def test_an_unknown_model_fails_the_job_and_is_dead_lettered() -> None:
    published, llm = Published(), Llm("unused")
    outcome = await enhancer(published, llm).handle(requested("tg_1_5", "kandinsky"), DELIVERY)
    assert outcome == bus.Term(bus.Reason.UNKNOWN_MODEL, "this model is not configured")
    [event] = published
    assert isinstance(event, ImageFailed)
    assert (event.job_id, event.model, event.error_code) == (
        "tg_1_5",
        "kandinsky",
        ErrorCode.UNKNOWN_MODEL,
    )
    assert llm.prompts == []


async def test_a_job_past_its_deadline_is_failed_without_asking_the_llm() -> None:
    published, llm = Published(), Llm("unused")
    outcome = await enhancer(published, llm).handle(requested("tg_1_6", age=61), DELIVERY)
    assert outcome == bus.Term(bus.Reason.DEADLINE, "not enhanced within 60 s of the request")
    [event] = published
    assert isinstance(event, ImageFailed)
    assert (event.error_code, event.attempts, event.retried) == (ErrorCode.TIMEOUT, 0, False)
    assert llm.prompts == []


async def test_giving_up_tells_the_user() -> None:
    published = Published()
    last = bus.Delivery("image.requested.flux", 10, 7)
    await enhancer(published, None).give_up(requested("tg_1_7"), last)
    [event] = published
    assert isinstance(event, ImageFailed)
    assert (event.error_code, event.detail) == (
        ErrorCode.INTERNAL,
        "processing failed on all 10 deliveries",
    )


async def test_a_cancelled_job_is_not_enhanced_and_not_queued() -> None:
    published, llm = Published(), Llm("unused")
    endings = MemoryEndings(tg_1_8=Ending.CANCELLED)
    outcome = await enhancer(published, llm, endings).handle(requested("tg_1_8"), DELIVERY)
    assert outcome == bus.ACK
    assert published == []
    assert llm.prompts == []


async def test_an_enhanced_prompt_the_blocklist_matches_gives_way_to_the_users_words() -> None:
    published = Published()
    handler = Enhancer(
        publish=published,
        registry=REGISTRY,
        llm=Llm("A cat in a blood bath"),
        endings=MemoryEndings(),  # type: ignore[arg-type]
        blocklist=Blocklist.parse("blood bath\n"),
    )
    await handler.handle(requested("tg_1_9"), DELIVERY)
    _, event = published
    assert isinstance(event, PromptEnhanced)
    assert (event.prompt, event.enhanced, event.fallback_reason) == ("a cat", False, "blocked")
