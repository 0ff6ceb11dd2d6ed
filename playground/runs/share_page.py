"""The read-only page a share link opens: the videos playing, what made them, what they cost. Plain HTML.

OpenGraph and Twitter tags make the link unfold in Slack, Teams and Discord (``og:video`` and
``og:image`` point at the token's own media). Nothing on it names a key, an owner or a server path.
"""

from __future__ import annotations

import html
import time

from ..texts import Lang, say, text
from .record import RunRecord

#: The settings a share page shows, as the request names them: what the visitor chose, no links or routes.
SHOWN_SETTINGS = (
    "action",
    "duration",
    "resolution",
    "aspect_ratio",
    "generate_audio",
    "sample_count",
    "seed",
    "negative_prompt",
    "person_generation",
    "resize_mode",
    "raw",
)


def settings_shown(body: dict) -> dict[str, object]:
    """The chosen settings of a recorded request, without links, routes or anything else not chosen."""
    return {k: body[k] for k in SHOWN_SETTINGS if k in body and body[k] not in (None, "")}


TITLE = text("runs.share.title", "A video made with Veo Playground")
MADE_WITH = text("runs.share.made_with", "Made with {model} on {date}.")
COST = text("runs.share.cost", "It cost {cost}.")
COST_DEMO = text("runs.share.cost_demo", "A simulated run (demo mode): nothing was charged.")
OPEN = text("runs.share.open", "Open in the playground")
PROMPT = text("runs.share.prompt", "Prompt")
SETTINGS = text("runs.share.settings", "Settings")

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 960px; margin: 24px auto; padding: 0 16px; color: #1f2937; }
video { width: 100%; max-height: 540px; background: #000; border-radius: 8px; margin-bottom: 12px; }
blockquote { margin: 0 0 12px; padding: 8px 14px; border-left: 4px solid #f97316; background: #fff7ed; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dt { color: #6b7280; } a.open { display: inline-block; margin-top: 16px; padding: 10px 16px;
  background: #f97316; color: white; border-radius: 8px; text-decoration: none; font-weight: 600; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def share_page(record: RunRecord, page_url: str, token: str, lang: Lang = Lang.EN) -> str:
    """The page at ``page_url``; its media are under it, so absolute when the page's URL is."""
    prompt = str(record.request.get("prompt", ""))
    media = f"{page_url}/video-"
    poster = f"{page_url}/poster.jpg" if record.poster else ""
    when = time.strftime("%Y-%m-%d", time.gmtime(record.created_at))
    cost = (
        say(COST_DEMO(), lang)
        if record.mode == "demo"
        else say(COST(cost=f"${record.estimated_cost:.2f}"), lang)
        if record.estimated_cost is not None and record.charged
        else ""
    )
    title = say(TITLE(), lang)
    description = prompt[:200] or title
    meta = {
        "og:title": title,
        "og:description": description,
        "og:type": "video.other",
        "og:url": page_url,
        "og:video": f"{media}0.mp4",
        "og:video:type": "video/mp4",
        "og:image": poster,
        "twitter:card": "summary_large_image" if poster else "summary",
        "twitter:title": title,
        "twitter:description": description,
        "twitter:image": poster,
    }
    tags = "\n".join(
        f'<meta {"name" if k.startswith("twitter:") else "property"}="{_e(k)}" content="{_e(v)}">'
        for k, v in meta.items()
        if v
    )
    videos = "\n".join(
        f'<video controls playsinline preload="metadata" src="{_e(media)}{i}.mp4"'
        f"{f' poster={chr(34)}{_e(poster)}{chr(34)}' if poster and i == 0 else ''}></video>"
        for i in range(len(record.files))
    )
    shown = settings_shown(record.request)
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in shown.items())
    made = say(MADE_WITH(model=_e(record.model), date=when), lang)
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == Lang.ZH_CN else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<meta name="description" content="{_e(description)}">
{tags}
<style>{_STYLE}</style></head>
<body>
<h1>{_e(title)}</h1>
{videos}
<h2>{_e(say(PROMPT(), lang))}</h2>
<blockquote>{_e(prompt)}</blockquote>
<p>{made} {_e(cost)}</p>
<h2>{_e(say(SETTINGS(), lang))}</h2>
<dl>{rows}</dl>
<a class="open" href="../?share={_e(token)}">{_e(say(OPEN(), lang))}</a>
</body></html>
"""
