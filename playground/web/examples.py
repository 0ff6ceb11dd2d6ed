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

from ..texts import Lang, say, text
from .form import ActionForm
from .i18n import t
from .view import SECONDS

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
        return self.label_in(Lang.EN)

    def label_in(self, lang: Lang) -> str:
        # The browser does not translate example labels: the page says them again per visitor on load
        # (``locale_events``). Past the title they hold ids, units and signs.
        parts = [say(self.title, lang), self.model, say(SECONDS(seconds=self.duration), lang), self.resolution]
        parts += [self.aspect_ratio] if self.aspect_ratio != "16:9" else []
        return " · ".join(parts + (["♪"] if self.audio else []))


def _title(slug: str, en: str) -> str:
    """An example's title, a Message so the label can be said in the visitor's language."""
    return text(f"web.examples.{slug}", en)()


EXAMPLES: dict[str, tuple[Example, ...]] = {
    "generate": (
        # The request samples of the newer page (shared/seeds/000) and of the older one (001).
        Example(
            _title("rainy_neon_street", "Rainy neon street"),
            "Neon-lit street on a rainy night, a red sports car drives through a puddle, cinematic slow motion",
            "veo3.1-fast-official",
            8,
            "1080p",
        ),
        # The older page's models always make sound, so the box is ticked as they behave.
        Example(
            _title("retriever_beach", "Retriever on a beach"),
            "A golden retriever running on a beach at sunset, cinematic lighting, slow motion",
            "veo-3.1",
            8,
            "1080p",
            audio=True,
        ),
        Example(
            _title("latte_art", "Latte art"),
            "Close-up of a barista pouring latte art in a sunlit café, the hiss of the steam wand "
            "and soft chatter in the background",
            "veo3.1-fast-official",
            6,
            "720p",
            audio=True,
        ),
        Example(
            _title("glacier_flyover", "Glacier flyover"),
            "Aerial shot gliding over a glacier at golden hour, slow push forward, wind howling over the ice",
            "veo3.1-quality-official",
            4,
            "4k",
            audio=True,
        ),
        Example(
            _title("paper_lantern", "Paper lantern"),
            "A paper lantern drifts up into a starry night sky above a still lake, vertical framing",
            "veo3.1-lite",
            8,
            "720p",
            aspect_ratio="9:16",
        ),
    ),
    "image2video": (
        Example(
            _title("lighthouse_dusk", "Lighthouse at dusk"),
            "The lighthouse beam sweeps across the darkening sea as waves break on the rocks, "
            "the sound of waves crashing",
            "veo3.1-fast-official",
            8,
            "1080p",
            audio=True,
            first_frame="lighthouse.jpg",
        ),
        Example(
            _title("balloon_hills", "Balloon over hills"),
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
            _title("dawn_to_night", "Dawn to night"),
            "A whole day over the valley in one time-lapse: the sun rises, clouds race across the sky, "
            "night falls and the cabin window lights up",
            "veo3.1-fast-official",
            8,
            "1080p",
            first_frame="valley_dawn.jpg",
            last_frame="valley_night.jpg",
        ),
        Example(
            _title("flower_opening", "Flower opening"),
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
            _title("car_drives_on", "Car drives on"),
            "The red sports car speeds off down the neon street as the camera rises above the wet rooftops, "
            "rain still falling",
            "veo3.1-fast-official",
            8,
            "1080p",
        ),
        Example(
            _title("retriever_runs_back", "Retriever runs back"),
            "The golden retriever turns and bounds back toward the camera through the shallow waves, "
            "splashing, the sound of waves crashing",
            "veo3.1-lite",
            8,
            "720p",
            audio=True,
        ),
    ),
}


def example_labels(action: str, lang: Lang) -> list[str]:
    return [ex.label_in(lang) for ex in EXAMPLES[action]]


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
        example_labels=example_labels(form.action, Lang.EN),
        api_visibility="private",
        elem_id=f"{form.action}-examples",
    )
