"""The Compare tab's fixed text in English and Simplified Chinese (merged into :mod:`.i18n`)."""

from __future__ import annotations

EN_COMPARE: dict[str, str] = {
    "tab_compare": "Compare",
    "intro_compare": "One prompt, up to 8 variants side by side: models, settings or seeds, each with its price. "
    "Nothing runs until you press Run all.",
    "compare_action": "Action",
    "compare_variants": "Variants",
    "compare_add": "Add a variant",
    "compare_quick": "Quick variants (they replace the rows below)",
    "compare_every_model": "Every model that can do this",
    "compare_seeds": "Same settings, seeds N…N+k",
    "compare_seed_from": "First seed",
    "compare_seed_count": "How many",
    "compare_resolutions": "This model at each resolution",
    "compare_quick_info": "Built from variant 1's model and settings.",
    "compare_run": "Run all",
    "compare_cancel": "Cancel all queued",
    "compare_use": "Use this one",
    "compare_to_remix": "Send to Remix",
    "compare_cell": "Cell",
    "compare_neg": "Negative prompt",
    "compare_seed": "Seed",
    "compare_variant": "Variant",
    "compare_duration": "Seconds",
    "compare_aspect": "Aspect",
    "compare_samples": "Videos",
    "compare_audio": "Audio",
}

ZH_COMPARE: dict[str, str] = {
    "tab_compare": "对比",
    "intro_compare": "一个提示词，最多 8 个变体并排对比：模型、设置或种子，每个都标明价格。"
    "按下“全部运行”前不会运行任何任务。",
    "compare_action": "操作",
    "compare_variants": "变体",
    "compare_add": "添加变体",
    "compare_quick": "快速生成变体（会替换下面的行）",
    "compare_every_model": "所有能做这件事的模型",
    "compare_seeds": "相同设置，种子 N…N+k",
    "compare_seed_from": "起始种子",
    "compare_seed_count": "数量",
    "compare_resolutions": "此模型的每种分辨率",
    "compare_quick_info": "以第 1 个变体的模型和设置为基础。",
    "compare_run": "全部运行",
    "compare_cancel": "取消所有排队中的",
    "compare_use": "用这个",
    "compare_to_remix": "发送到视频续写",
    "compare_cell": "单元",
    "compare_neg": "反向提示词",
    "compare_seed": "种子",
    "compare_variant": "变体",
    "compare_duration": "秒数",
    "compare_aspect": "宽高比",
    "compare_samples": "视频数",
    "compare_audio": "音频",
}
