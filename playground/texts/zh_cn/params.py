"""Chinese for the templates declared in params."""

from __future__ import annotations

PARAMS: dict[str, str] = {
    # image_urls and callback_events (issue 16): the rule, the readers and the reference images' label
    "veo.rules.image_urls_too_many": "image_urls 最多只能包含 {most} 张参考图片；收到 {count} 张",
    "veo.references.not_a_list_of_images": (
        "{name} 必须是由图片链接或上传文件（handle_file）组成的列表，或这样一个列表的 JSON 文本；收到的是 {got}"
    ),
    "veo.references.not_a_list_of_events": "{name} 必须是由事件名组成的列表，或用逗号分隔的事件名文本；收到的是 {got}",
    "veo.references.not_json": "{name} 看起来是 JSON 列表，但不是有效的 JSON",
    "runs.frames.reference_label": "第 {number} 张参考图片",
}
