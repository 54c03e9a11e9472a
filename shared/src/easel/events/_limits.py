"""Limits of the event contract that code outside the events must agree with."""

from __future__ import annotations

MAX_PROMPT_CHARS = 1000
"""A prompt, as the user gave it or as enhanced: the gateway refuses longer ones, the
enhancer cuts an LLM's answer to it, and every event that carries a prompt checks it."""
