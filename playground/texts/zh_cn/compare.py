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
    "web.history.group_tag": "对比 {group} · 第 {cell} 格",
    "web.history.group_line": "属于一个包含 {count} 格的对比网格：",
    "web.compare.total": "{total}，共 {count} 个视频",
    "web.compare.unpriced": "暂无总价：有一格没有既定价格。",
    "web.compare.no_total": "有变体无效，暂无总价。",
    "web.compare.demo_free": "演示模式：模拟器不收取任何费用。",
    "web.compare.price_unset": "无既定价格",
    "web.compare.fix_first": "运行网格之前：",
    "web.compare.progress": "已完成 {done}/{count} 格 · 成功 {completed} 格",
    "web.compare.cost": "本网格花费 {cost}。",
    "web.compare.cost_demo": "本网格本应花费 {cost}（演示模式：未收费）。",
    "web.compare.nothing_queued": "没有仍在排队的格：无需取消。",
    "web.compare.waiting": "等待中",
    "runs.grid.not_a_grid_action": "对比网格只能运行 generate、image2video 或 first_last_frame；收到的是 {action}。",
}
