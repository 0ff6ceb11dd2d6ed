"""Ready examples for each tab: one click fills the form, nothing runs and nothing is charged.

The two prompts of the provider's pages (``shared/seeds``) head the Text → Video list with the
settings their request samples use; the remix examples continue those two clips. Image examples
carry frames drawn by ``playground/web/example_frames/make_examples.py``; where those files are absent (the
Docker image ships only the package) the examples still fill everything but the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from .form import ActionForm
from .i18n import t

EXAMPLE_DIR = Path(__file__).resolve().parent / "example_frames"
#: Gradio cuts an example's label after about this many characters.
LABEL_MAX_CHARS = 60


@dataclass(frozen=True)
class Example:
    title: str
    prompt: str
    model: str
    duration: int
    resolution: str
    aspect_ratio: str = "16:9"
    audio: bool = False
    first_frame: str | None = None  # a file name in EXAMPLE_DIR
    last_frame: str | None = None

    @property
    def label(self) -> str:
        # Gradio does not translate example labels, so past the title they hold ids, units and signs.
        parts = [self.title, self.model, f"{self.duration} s", self.resolution]
        parts += [self.aspect_ratio] if self.aspect_ratio != "16:9" else []
        return " · ".join(parts + (["♪"] if self.audio else []))


EXAMPLES: dict[str, tuple[Example, ...]] = {
    "generate": (
        # The request samples of the newer page (shared/seeds/000) and of the older one (001).
        Example(
            "Rainy neon street",
            "Neon-lit street on a rainy night, a red sports car drives through a puddle, cinematic slow motion",
            "veo3.1-fast-official",
            8,
            "1080p",
        ),
        # The older page's models always make sound, so the box is ticked as they behave.
        Example(
            "Retriever on a beach",
            "A golden retriever running on a beach at sunset, cinematic lighting, slow motion",
            "veo-3.1",
            8,
            "1080p",
            audio=True,
        ),
        Example(
            "Latte art",
            "Close-up of a barista pouring latte art in a sunlit café, the hiss of the steam wand "
            "and soft chatter in the background",
            "veo3.1-fast-official",
            6,
            "720p",
            audio=True,
        ),
        Example(
            "Glacier flyover",
            "Aerial shot gliding over a glacier at golden hour, slow push forward, wind howling over the ice",
            "veo3.1-quality-official",
            4,
            "4k",
            audio=True,
        ),
        Example(
            "Paper lantern",
            "A paper lantern drifts up into a starry night sky above a still lake, vertical framing",
            "veo3.1-lite",
            8,
            "720p",
            aspect_ratio="9:16",
        ),
    ),
    "image2video": (
        Example(
            "Lighthouse at dusk",
            "The lighthouse beam sweeps across the darkening sea as waves break on the rocks, "
            "the sound of waves crashing",
            "veo3.1-fast-official",
            8,
            "1080p",
            audio=True,
            first_frame="lighthouse.jpg",
        ),
        Example(
            "Balloon over hills",
            "The hot-air balloon drifts slowly to the right over the rolling hills, clouds passing by, "
            "gentle camera pan",
            "veo3.1-quality-official",
            6,
            "720p",
            first_frame="balloon.jpg",
        ),
    ),
    "first_last_frame": (
        Example(
            "Dawn to night",
            "A whole day over the valley in one time-lapse: the sun rises, clouds race across the sky, "
            "night falls and the cabin window lights up",
            "veo3.1-fast-official",
            8,
            "1080p",
            first_frame="valley_dawn.jpg",
            last_frame="valley_night.jpg",
        ),
        Example(
            "Flower opening",
            "Macro time-lapse of a red flower bud slowly opening into full bloom, soft studio light",
            "veo3.1-quality",
            8,
            "720p",
            first_frame="flower_bud.jpg",
            last_frame="flower_bloom.jpg",
        ),
    ),
    # Continuations of the two seed clips: run one on Text → Video, then pick it here.
    "remix": (
        Example(
            "Car drives on",
            "The red sports car speeds off down the neon street as the camera rises above the wet rooftops, "
            "rain still falling",
            "veo3.1-fast-official",
            8,
            "1080p",
        ),
        Example(
            "Retriever runs back",
            "The golden retriever turns and bounds back toward the camera through the shallow waves, "
            "splashing, the sound of waves crashing",
            "veo3.1-lite",
            8,
            "720p",
            audio=True,
        ),
    ),
}


def build_examples(form: ActionForm) -> gr.Examples:
    """The tab's examples over its own controls; a click only sets their values."""
    inputs: list = [form.prompt, form.model, form.duration, form.resolution, form.aspect_ratio, form.audio]
    frame_inputs = [
        (which, getattr(form, f"{which}_file"), getattr(form, f"{which}_url"))
        for which in ("first", "last")
        if getattr(form, f"{which}_file") is not None
    ]
    for _, file, url in frame_inputs:
        inputs += [file, url]
    rows = []
    for ex in EXAMPLES[form.action]:
        row: list = [ex.prompt, ex.model, ex.duration, ex.resolution, ex.aspect_ratio, ex.audio]
        for which, _, _ in frame_inputs:
            name = getattr(ex, f"{which}_frame")
            path = EXAMPLE_DIR / name if name else None
            present = path is not None and path.is_file()
            # The URL box is emptied so the example's own image is the one used; None leaves a control as it is.
            row += [str(path), ""] if present else [None, None]
        rows.append(row)
    return gr.Examples(
        rows,
        inputs=inputs,
        label=t("examples"),
        run_on_click=False,
        cache_examples=False,
        example_labels=[ex.label for ex in EXAMPLES[form.action]],
        api_visibility="private",
        elem_id=f"{form.action}-examples",
    )
