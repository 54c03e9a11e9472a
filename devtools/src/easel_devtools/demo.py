"""`just demo`: the real four services over a real nats-server, a few Telegram users.

Telegram, the image backends and the LLM are stand-ins (real HTTP servers on loopback,
from easel_devtools.standins): the two plain workers, and AUTOMATIC1111 (`forge`), ComfyUI
(`comfy`) and OpenAI's Images API (`dalle`) from a MODELS_FILE. One user of each language
Easel speaks (English, Persian, Turkish, Russian, as their Telegram app says). Prints what
each user saw, with timings, and saves the images.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from easel_devtools.harness import EaselSystem

# (chat, name, Telegram app language, what they send)
CHATS = [
    (101, "alice", "en", "/image=flux=a cat on a windowsill"),
    (102, "bob", "en", "/flux a lighthouse at dusk"),
    (103, "carol", "en", "/image sdxl a bowl of ramen, steam rising"),
    (104, "dan", "en", "/image=flux=a fox in fresh snow"),
    (105, "erin", "en", "/image a robot reading in a library"),
    (106, "frank", "en", "/image=midjourney=a castle"),
    (107, "grace", "en", "/image=forge=a red fox, oil painting"),
    (108, "heidi", "en", "/image=comfy=a bonsai tree at sunrise"),
    (109, "ivan", "en", "/image=dalle=a cat in a space suit"),
    (110, "shirin", "fa-IR", "/image=sdxl=یک گربه روی لبهٔ پنجره"),
    (111, "elif", "tr", "/image=forge=pencere kenarında bir kedi"),
    (112, "olga", "ru", "/image=flux=кот на подоконнике"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--flux-seconds", type=float, default=2.0, help="stand-in service time")
    parser.add_argument("--sdxl-seconds", type=float, default=1.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with EaselSystem(self_hosted=True) as system:
        system.flux.service_time = args.flux_seconds
        system.sdxl.service_time = args.sdxl_seconds
        assert system.self_hosted is not None
        system.self_hosted.forge.service_time = args.sdxl_seconds
        system.self_hosted.comfy.service_time = args.sdxl_seconds
        system.llm.latency = 0.3
        print(f"Easel is up: nats {system.nats.url}, Bot API stand-in {system.telegram.base_url}")
        print(f"services: {', '.join(f'{n} (pid {s.pid})' for n, s in system.services.items())}\n")
        sent_at = {}
        for chat, name, language, text in CHATS:
            print(f"{name:>6} ({language}) sends: {text}")
            sent_at[chat] = time.monotonic()
            system.telegram.send_user_message(chat, text, username=name, language_code=language)
        expected = [chat for chat, _, _, text in CHATS if "midjourney" not in text]
        # Done for a user when the photo is there and the status message is gone.
        system.telegram.wait_for(
            lambda: all(
                [m.photo is not None for m in system.telegram.bot_visible_messages(c)] == [True]
                for c in expected
            ),
            timeout=120,
        )
        print()
        for chat, name, _, _ in CHATS:
            show_chat(system, chat, name, sent_at[chat], args.out)
    print(f"\nimages saved in {args.out.resolve()}")
    return 0


STAGES = (
    ("enhance", "🎨"),
    ("queue", "⏳"),
    ("generate", "🖼️"),
    ("send", "📤"),
)


def show_chat(system: EaselSystem, chat: int, name: str, t0: float, out: Path) -> None:
    """The chat as its user saw it, in time order, then how long each stage took."""
    print(f"── {name} (chat {chat}) ──")
    seen: list[tuple[float, str]] = []
    for message in system.telegram.messages(chat):
        if not message.from_bot:
            continue
        if message.photo is not None:
            path = out / f"{name}.png"
            path.write_bytes(message.photo)
            caption = (message.caption or "").replace("\n", " ⏎ ")
            seen.append((message.created_at, f"[photo {len(message.photo)} B → {path}] {caption}"))
            continue
        times = [message.created_at, *(at for at, _ in message.edits)]
        seen += [
            (at, f"{'✎ ' if i else ''}{text}")
            for i, (at, text) in enumerate(zip(times, message.texts, strict=True))
        ]
        if message.deleted_at is not None:
            seen.append((message.deleted_at, "✗ status message deleted"))
    for at, what in sorted(seen):
        print(f"  +{at - t0:6.2f}s  {what}")
    print(f"  {stage_summary(seen, t0)}")


def stage_summary(seen: list[tuple[float, str]], t0: float) -> str:
    """Time spent in each status stage, from the first time the user saw it to the next."""
    marks = [(at, stage) for at, text in sorted(seen) for stage, icon in STAGES if icon in text[:4]]
    delivered = next((at for at, text in seen if text.startswith("[photo")), None)
    if delivered is None:
        return "no photo"
    firsts: dict[str, float] = {}
    for at, stage in marks:
        firsts.setdefault(stage, at)
    ordered = sorted(firsts.items(), key=lambda item: item[1])
    parts = [
        f"{stage} {(ordered[i + 1][1] if i + 1 < len(ordered) else delivered) - at:.2f}s"
        for i, (stage, at) in enumerate(ordered)
    ]
    return "stages: " + " · ".join(parts) + f" · total {delivered - t0:.2f}s"


if __name__ == "__main__":
    raise SystemExit(main())
