"""Chinese for the compare grid's templates (veo.variants)."""

from __future__ import annotations

COMPARE: dict[str, str] = {
    "veo.variants.not_a_list": "variants 必须是对象列表（或其 JSON 文本）；收到的是 {got}",
    "veo.variants.not_an_object": "第 {n} 个变体必须是对象；收到的是 {got}",
    "veo.variants.unknown_field": "第 {n} 个变体：{name} 不是变体可以改变的设置（可用：{fields}）",
    "veo.variants.in_variant": "第 {n} 个变体：{problem}",
    "veo.variants.none": "请至少添加一个要对比的变体。",
    "veo.variants.too_many": "一个对比网格最多 {limit} 个变体；收到 {count} 个。",
    "veo.variants.cell_problem": "第 {n} 个变体（{label}）：{problem}",
    "veo.variants.same": "相同设置",
}
