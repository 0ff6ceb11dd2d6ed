"""The page's fixed text in English and Simplified Chinese; the browser's language picks one.

Gradio translates in the browser: a component built with ``t("key")`` (an ``I18nData``) as its
label, info, placeholder, Markdown value, button value, tab or accordion label, or as the label
of a ``(label, value)`` choice shows the text of the visitor's locale. Gradio picks the locale
from ``navigator.language`` among the languages it ships (``zh-CN`` among them, no bare ``zh``),
and anything it has no text for falls back to ``en``. Values never change, only what is shown.

Only what the page is built with is translated here. What handlers send while it runs (status,
price readout, model notes, nudges) is built in the visitor's language from ``texts`` Messages
(see :mod:`playground.texts`). Everything the provider calls by name stays as written in both:
model ids, API field names and values such as ``pad`` or ``allow_adult``.

The browser replaces one key per string, so a string holds at most one ``t(...)``; text after it
(a sample number, a model name) is shown as written.
"""

from __future__ import annotations

import re

import gradio as gr
from gradio.i18n import I18nData

from .. import veo
from .i18n_compare import EN_COMPARE, ZH_COMPARE
from .i18n_storyboard import EN_STORYBOARD, ZH_STORYBOARD

ZH_CN_LOCALE = "zh-CN"  # the code Gradio's own Chinese texts use, so the browser lands on it
#: Gradio's own messages share the lookup and have top-level names such as "audio" or "file";
#: a bare key of ours with such a name would show Gradio's message table instead of our text.
_PREFIX = "veo_playground_"


def model_key(model_id: str) -> str:
    # Keys stay plain words: a dot could be read as a path into nested messages.
    return "model_" + re.sub(r"\W", "_", model_id)


_EN_PAGE: dict[str, str] = {
    "header": "# Veo Playground\nGoogle Veo 3.1 video generation through the Wave task API. "
    "The price of what you are about to run is always shown beside the button.",
    "key_box": "Wave API key",
    "key_label": "Your Wave API key",
    "key_placeholder": "Leave empty to use the demo simulator",
    "key_info": "Used only for your own requests from this browser; never logged or shown.",
    "key_remember": "Remember the key in this browser",
    "tab_history": "History",
    "intro_generate": "Describe a scene; Veo renders it with motion (and sound, where the model makes it).",
    "intro_image2video": "Animate a still: the image becomes the first frame of the video.",
    "intro_first_last_frame": "Give the first and the last frame; Veo fills in the motion between them.",
    "intro_remix": "Continue an existing clip: pick one of your runs, a task id or a video URL.",
    "model": "Model",
    "prompt": "Prompt",
    "prompt_placeholder": "A golden retriever running on a beach at sunset, cinematic lighting",
    "recent_prompts": "Recent prompts",
    "prompt_info": "Ctrl+Enter (⌘+Enter on a Mac) runs Generate.",
    "first_file": "First frame (JPG, PNG, WEBP; other formats are converted)",
    "first_url": "…or paste an image URL (first frame)",
    "last_file": "Last frame (JPG, PNG, WEBP; other formats are converted)",
    "last_url": "…or paste an image URL (last frame)",
    "destination_heading": "Where your image goes:",
    "resize_preview": "First frame as the video will frame it (resize mode)",
    "remix_from": "Source clip",
    "remix_from_run": "A finished run from this session",
    "remix_from_task": "A task id",
    "remix_from_url": "A video URL",
    "remix_run": "Finished run",
    "remix_run_info": "Runs finished in this browser session appear here.",
    "remix_task": "Task id",
    "remix_url": "Video URL",
    "duration": "Duration (s)",
    "resolution": "Resolution",
    "aspect_ratio": "Aspect ratio",
    "audio": "Generate audio",
    "advanced": "Advanced settings",
    "samples": "Samples (videos per run)",
    "person": "Person generation",
    "person_extra": "Person generation (extra.personGeneration)",
    "seed": "Seed",
    "negative_prompt": "Negative prompt",
    "negative_prompt_info": "Describe what you do not want, directly (no negations).",
    "enhance_prompt": "Enhance prompt",
    "enhance_prompt_info": "Locked on: Vertex AI forces prompt enhancement.",
    "resize_mode": "Resize mode",
    "resize_mode_info": "pad keeps the whole image with borders; crop fills the frame.",
    "raw": "Extension only (raw)",
    "raw_info": "Return only the new part, not joined to the source clip.",
    "callback_url": "Callback URL (optional)",
    "callback_url_info": "The provider POSTs the finished task there; the playground still polls.",
    "callback_events": "Callback events (callback_events)",
    "callback_events_info": "Which events the provider calls back for; none chosen means completed and failed. "
    "Needs a callback URL.",
    "references": "Reference images (image_urls, optional)",
    "reference_files": f"Reference images, up to {veo.MAX_REFERENCE_IMAGES} "
    "(JPG, PNG, WEBP; other formats are converted)",
    "reference_urls": "…or paste image URLs, one a line",
    "reference_urls_info": "Checked and uploaded like the frames before anything is sent; the provider's page "
    "calls them a generic image-reference array.",
    "run": "Generate",
    "cancel": "Cancel",
    "ready": "Ready.",
    "sample": "Sample",
    "request_box": "Request JSON and curl",
    "request_body": "Request body",
    "curl": "curl (key read from $WAVE_API_KEY)",
    "final_task": "Final task",
    "examples": "Examples (click one to fill the form; nothing runs until you press Generate)",
}

_EN_HISTORY: dict[str, str] = {
    "history_intro": "Runs from this browser, newest first. Finished videos are kept on this server, so they "
    "outlive the provider's links; only this browser can see them.",
    "history_refresh": "Refresh",
    "history_resume_id": "Resume by task id",
    "history_resume_info": "Attach to any task of your key: it is followed and saved here.",
    "history_attach": "Attach",
    "history_runs": "Runs",
    "history_video": "Video",
    "history_copy": "Copy settings to the form",
    "history_rerun": "Run again",
    "history_remix": "Use as remix source",
    "history_request": "Request as sent",
    "history_board_rerun": "Make this shot and the shots after it again",
    "history_share": "Share",
    "history_unshare": "Revoke the link",
    "history_share_link": "Share link (read-only page: the video, prompt, settings and price; no key)",
    "history_share_list": "Your share links",
}

#: English comes from the catalog where the catalog names things, so both always agree.
EN: dict[str, str] = {
    **_EN_PAGE,
    **_EN_HISTORY,
    **EN_COMPARE,
    **EN_STORYBOARD,
    **{f"tab_{action}": label for action, label in veo.ACTION_LABELS.items()},
    **{model_key(m.id): f"{veo.CHANNEL_LABELS[m.channel]} · {m.name}" for m in veo.MODELS},
}

ZH_CN: dict[str, str] = {
    **ZH_COMPARE,
    **ZH_STORYBOARD,
    "header": "# Veo Playground\n通过 Wave 任务 API 调用 Google Veo 3.1 生成视频。按钮旁始终显示本次运行的价格。",
    "key_box": "Wave API 密钥",
    "key_label": "你的 Wave API 密钥",
    "key_placeholder": "留空则使用演示模拟器",
    "key_info": "仅用于你在本浏览器中发起的请求，不会被记录或显示。",
    "key_remember": "在本浏览器中记住密钥",
    "tab_generate": "文生视频",
    "tab_image2video": "图生视频",
    "tab_first_last_frame": "首尾帧生成",
    "tab_remix": "视频续写",
    "tab_history": "历史记录",
    "history_intro": "本浏览器中的运行记录，最新的在前。完成的视频保存在本服务器上，即使服务商的链接过期也能查看；只有本浏览器能看到。",  # noqa: E501 - one sentence of text
    "history_refresh": "刷新",
    "history_resume_id": "按任务 ID 接续",
    "history_resume_info": "接续你的密钥下的任意任务：会继续跟踪并把结果保存在这里。",
    "history_attach": "接续",
    "history_runs": "运行记录",
    "history_video": "视频",
    "history_copy": "把设置填回表单",
    "history_rerun": "再次运行",
    "history_remix": "用作续写源视频",
    "history_request": "实际发送的请求",
    "intro_generate": "描述一个场景，Veo 会把它生成为动态视频（模型支持时还会配上声音）。",
    "intro_image2video": "让静态图片动起来：图片将作为视频的第一帧。",
    "intro_first_last_frame": "给出首帧和尾帧，Veo 会补全两者之间的动态。",
    "intro_remix": "续写已有的视频片段：可选择你的一次运行、任务 ID 或视频链接。",
    "model": "模型",
    "prompt": "提示词",
    "prompt_placeholder": "夕阳下，一只金毛犬在海滩上奔跑，电影感光影",
    "recent_prompts": "最近的提示词",
    "prompt_info": "按 Ctrl+Enter（Mac 上按 ⌘+Enter）即可生成。",
    "first_file": "首帧（JPG、PNG、WEBP；其他格式将自动转换）",
    "first_url": "…或粘贴图片链接（首帧）",
    "last_file": "尾帧（JPG、PNG、WEBP；其他格式将自动转换）",
    "last_url": "…或粘贴图片链接（尾帧）",
    "destination_heading": "图片去向：",
    "resize_preview": "首帧在视频中的构图效果（按缩放模式）",
    "remix_from": "源视频",
    "remix_from_run": "本次会话中已完成的运行",
    "remix_from_task": "任务 ID",
    "remix_from_url": "视频链接",
    "remix_run": "已完成的运行",
    "remix_run_info": "本浏览器会话中完成的运行会显示在这里。",
    "remix_task": "任务 ID",
    "remix_url": "视频链接",
    "duration": "时长（秒）",
    "resolution": "分辨率",
    "aspect_ratio": "画面比例",
    "audio": "生成音频",
    "advanced": "高级设置",
    "samples": "生成数量（每次运行的视频数）",
    "person": "人物生成",
    "person_extra": "人物生成（extra.personGeneration）",
    "seed": "随机种子",
    "negative_prompt": "反向提示词",
    "negative_prompt_info": "直接描述不想出现的内容（不要用否定句）。",
    "enhance_prompt": "提示词增强",
    "enhance_prompt_info": "已锁定开启：Vertex AI 强制启用提示词增强。",
    "resize_mode": "缩放模式",
    "resize_mode_info": "pad 保留完整画面并补边；crop 裁切铺满画面。",
    "raw": "仅返回续写部分（raw）",
    "raw_info": "只返回新生成的部分，不与源视频拼接。",
    "callback_url": "回调 URL（可选）",
    "callback_url_info": "任务完成后服务商会向该地址 POST 任务结果；Playground 仍会照常轮询。",
    "callback_events": "回调事件（callback_events）",
    "callback_events_info": "选择服务商在哪些事件时回调；不选则为 completed 和 failed。需要同时填写回调 URL。",
    "references": "参考图片（image_urls，可选）",
    "reference_files": f"参考图片，最多 {veo.MAX_REFERENCE_IMAGES} 张（JPG、PNG、WEBP；其他格式将自动转换）",
    "reference_urls": "…或粘贴图片链接，每行一个",
    "reference_urls_info": "与首尾帧一样，在发送前先检查并上传；服务商文档称之为通用的图片参考数组。",
    "run": "生成",
    "cancel": "取消",
    "ready": "就绪。",
    "sample": "视频",
    "request_box": "请求 JSON 与 curl",
    "request_body": "请求体",
    "curl": "curl（密钥读取自 $WAVE_API_KEY）",
    "final_task": "任务最终结果",
    "examples": "示例（点击即可填入表单；按下“生成”前不会运行任何任务）",
    model_key("veo3.1-quality-official"): "官方直连（Vertex AI）· Veo 3.1 Quality（官方）",
    model_key("veo3.1-fast-official"): "官方直连（Vertex AI）· Veo 3.1 Fast（官方）",
    model_key("veo3.1-quality"): "逆向渠道 · Veo 3.1 Quality（逆向）",
    model_key("veo3.1-lite"): "逆向渠道 · Veo 3.1 Lite（逆向）",
    model_key("veo-3.1"): "旧版 API 文档 · VEO 3.1（旧版）",
    model_key("veo-3.1-fast"): "旧版 API 文档 · VEO 3.1 Fast（旧版）",
    model_key("veo-3.0"): "旧版 API 文档 · VEO 3.0（旧版）",
}

I18N = gr.I18n(
    **{
        locale: {_PREFIX + key: text for key, text in texts.items()}
        for locale, texts in (("en", EN), (ZH_CN_LOCALE, ZH_CN))
    }
)


def t(key: str) -> I18nData:
    """The translatable text for ``key``; an unknown key fails when the page is built, not in a browser."""
    if key not in EN:
        raise KeyError(f"no English text for i18n key {key!r}")
    return I18N(_PREFIX + key)
