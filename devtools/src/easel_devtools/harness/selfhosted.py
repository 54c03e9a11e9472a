"""The backends people self-host, as stand-ins beside the two plain workers: AUTOMATIC1111
(`forge`), ComfyUI (`comfy`, and `comfy-edit`, whose workflow starts from a photo) and
OpenAI's Images API (`dalle`, and `gpt-image`, which edits photos too), with the
MODELS_FILE that names them the way a deployment would."""

from __future__ import annotations

import shutil
from pathlib import Path

from easel_devtools.standins import A1111Standin, ComfyUIStandin, OpenAIImagesStandin
from easel_devtools.standins.comfyui import IMG2IMG_WORKFLOW_PATH, WORKFLOW_PATH

FORGE_USER, FORGE_PASSWORD = "easel", "forge-secret-for-tests-31d0"
OPENAI_KEY = "sk-openai-secret-key-for-tests-9b2e"
NEW_MODELS = ("forge", "comfy", "comfy-edit", "dalle", "gpt-image")

_MODELS = """\
[models.flux]
display_name = "FLUX"
backend = "get_query"
url_env = "FLUX_WORKER_URL"

[models.sdxl]
display_name = "SDXL"
backend = "post_json"
url_env = "SDXL_WORKER_URL"
api_key_env = "SDXL_API_KEY"

[models.forge]
display_name = "Forge"
backend = "a1111"
url = "{forge}"
api_key_env = "FORGE_API_AUTH"
sizes = ["832x1216", "1024x1024"]
[models.forge.defaults]
steps = 12
sampler_name = "Euler a"
negative_prompt = "blurry, watermark"

[models.comfy]
display_name = "ComfyUI"
backend = "comfyui"
url = "{comfy}"
workflow = "workflows/txt2img.json"
sizes = ["512x768"]
[models.comfy.inputs]
prompt = "6.inputs.text"
negative_prompt = "7.inputs.text"
seed = "3.inputs.seed"
width = "5.inputs.width"
height = "5.inputs.height"

[models.comfy-edit]
display_name = "ComfyUI edit"
backend = "comfyui"
url = "{comfy}"
workflow = "workflows/img2img.json"
[models.comfy-edit.inputs]
prompt = "6.inputs.text"
negative_prompt = "7.inputs.text"
seed = "3.inputs.seed"
image = "10.inputs.image"
strength = "3.inputs.denoise"

[models.dalle]
display_name = "DALL·E 3"
backend = "openai_images"
url = "{openai}"
api_key_env = "OPENAI_API_KEY"
upstream_model = "dall-e-3"
sizes = ["1024x1024", "1792x1024", "1024x1792"]

[models.gpt-image]
display_name = "GPT Image"
backend = "openai_images"
url = "{openai}"
api_key_env = "OPENAI_API_KEY"
upstream_model = "gpt-image-1"
sizes = ["1024x1024", "1536x1024", "1024x1536"]
"""


class SelfHosted:
    def __init__(self) -> None:
        self.forge = A1111Standin(auth=(FORGE_USER, FORGE_PASSWORD))
        self.comfy = ComfyUIStandin()
        self.openai = OpenAIImagesStandin(OPENAI_KEY)

    def start(self, workdir: Path) -> dict[str, str]:
        """Starts the stand-ins; the environment that points the services at them."""
        self.forge.start()
        self.comfy.start()
        self.openai.start()
        (workdir / "workflows").mkdir(parents=True, exist_ok=True)
        shutil.copy(WORKFLOW_PATH, workdir / "workflows" / "txt2img.json")
        shutil.copy(IMG2IMG_WORKFLOW_PATH, workdir / "workflows" / "img2img.json")
        models = workdir / "models.toml"
        urls = {"forge": self.forge.base_url, "comfy": self.comfy.base_url}
        models.write_text(_MODELS.format(openai=self.openai.url, **urls))
        return {
            "MODELS_FILE": str(models),
            "FORGE_API_AUTH": f"{FORGE_USER}:{FORGE_PASSWORD}",
            "OPENAI_API_KEY": OPENAI_KEY,
        }

    def stop(self) -> None:
        for standin in (self.forge, self.comfy, self.openai):
            standin.stop()
