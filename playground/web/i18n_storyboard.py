"""The Storyboard tab's fixed text in English and Simplified Chinese (merged into :mod:`.i18n`)."""

from __future__ import annotations

EN_STORYBOARD: dict[str, str] = {
    "tab_storyboard": "Storyboard",
    "intro_storyboard": "A longer video shot by shot: shot 1 starts from text (or an image), every later shot "
    "continues the clip before it. The whole board's price and length are shown before anything runs.",
    "board_first_frame": "Start from an image (optional: shot 1 becomes Image → Video)",
    "board_shot": "Shot",
    "board_seconds": "Seconds",
    "board_up": "↑",
    "board_down": "↓",
    "board_remove": "Remove",
    "board_add": "Add a shot",
    "board_run": "Make the board",
    "board_cancel": "Cancel the board",
    "board_video": "The whole board",
}

ZH_STORYBOARD: dict[str, str] = {
    "tab_storyboard": "故事板",
    "intro_storyboard": "逐个镜头制作更长的视频：镜头 1 从文字（或图片）开始，之后的每个镜头都续写上一个镜头的视频。"
    "运行前会显示整个故事板的价格和时长。",
    "board_first_frame": "从图片开始（可选：镜头 1 变为图生视频）",
    "board_shot": "镜头",
    "board_seconds": "秒数",
    "board_up": "↑ 上移",
    "board_down": "↓ 下移",
    "board_remove": "移除",
    "board_add": "添加镜头",
    "board_run": "制作故事板",
    "board_cancel": "取消故事板",
    "board_video": "整个故事板",
    "history_board_rerun": "重新制作此镜头及之后的镜头",
    "history_share": "分享",
    "history_unshare": "撤销链接",
    "history_share_link": "分享链接（只读页面：视频、提示词、设置和价格；不含密钥）",
    "history_share_list": "你的分享链接",
}
