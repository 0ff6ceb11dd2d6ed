"""Chinese for the templates declared in runs."""

from __future__ import annotations

RUNS: dict[str, str] = {
    # engine: where a run stands
    "runs.engine.submitting": "正在提交任务…",
    "runs.engine.looking_up": "正在查找任务 {task_id}…",
    "runs.engine.queued": "排队中：等待服务商开始处理",
    "runs.engine.processing": "处理中：{progress}%",
    "runs.engine.other_status": "状态：{status}",
    "runs.engine.saving": "已完成：正在保存 {count} 个视频…",
    "runs.engine.done": "完成：共 {count} 个视频。",
    "runs.engine.cancelled_refunded": "已取消。已退款 {amount}。",
    "runs.engine.cancelled": "已取消。服务商会退还已取消的排队任务的费用。",
    "runs.engine.not_saved": "视频已生成，但未能保存：{error}。视频链接：{links}",
    "runs.engine.not_saved_stop": "视频已生成，但未能保存：{error} 视频链接：{links}",
    "runs.engine.stalled": "传输停滞",
    "runs.engine.incomplete": "已过 {seconds} 秒仍未下载完成",
    "runs.engine.task_cancelled_refunded": "已取消任务 {task_id}；已退款 {amount}。",
    "runs.engine.task_cancelled": "已取消任务 {task_id}；服务商会退还已取消的排队任务的费用。",
    # phases, as History's cards name them
    "runs.phases.submitting": "提交中",
    "runs.phases.queued": "排队中",
    "runs.phases.processing": "处理中",
    "runs.phases.downloading": "下载中",
    "runs.phases.completed": "已完成",
    "runs.phases.failed": "失败",
    "runs.phases.cancelled": "已取消",
    "runs.phases.timeout": "超时",
    "runs.phases.uncertain": "结果未知",
    "runs.phases.waiting": "等待上一个镜头",
    "runs.phases.error": "出错",
    # tracker and store: runs that outlive the page
    "runs.tracker.counted_until_found": (
        "{message} 在找到它之前，它会按预估价格计入你的预算：如果你找到了它的任务 ID，请使用“按任务 ID 接续”。"
    ),
    "runs.tracker.find_it": "{message} 如果你找到了它的任务 ID，请使用“按任务 ID 接续”。",
    "runs.tracker.never_sent": "服务器在发送这次运行之前停止了：没有发送任何内容，也没有扣费。",
    "runs.tracker.maybe_sent": "服务器在发送这次运行时停止了，任务可能已经创建（并已计费）。",
    "runs.tracker.demo_gone": "演示模拟器已重启，这次模拟运行已不复存在（演示运行不收费）。",
    "runs.tracker.resuming": "重启后正在接续…",
    "runs.tracker.stopped_following": "Playground 已停止跟踪这次运行：{error}",
    "runs.store.found": "已找到，对应任务 {task_id}。",
    "runs.watch.gone": "这次运行已不在历史记录中。",
    # budget: the standing line
    "runs.budget.spent": "最近 {hours} 小时内，本服务器的密钥已花费 {total}，你已花费 {mine}",
    "runs.budget.spent_with_network": (
        "最近 {hours} 小时内，本服务器的密钥已花费 {total}，你已花费 {mine}，来自你所在网络的访客已花费 {network}"
    ),
    "runs.budget.your_allowance": "{before}；你的额度还剩 {left}（共 {cap}）",
    "runs.budget.network_allowance": "{before}；你所在网络的额度还剩 {left}（共 {cap}）",
    "runs.budget.server_budget": "{before}；服务器预算还剩 {left}（共 {cap}）",
    "runs.budget.standing": "预算：{parts}。",
    # budget: refusals
    "runs.budget.unpriced": (
        "这个模型的价格尚未设置，因此无法检查支出上限；请让运营方在 WAVE_PRICES 中设置。没有发送任何内容。"
    ),
    "runs.budget.too_many_runs": (
        "运行过于频繁：最近一分钟内已有 {count} 次（上限 {limit} 次）。请在 {wait} 秒后重试。没有发送任何内容。"
    ),
    "runs.budget.too_many_runs_network": (
        "运行过于频繁：最近一分钟内来自你所在网络的运行已有 {count} 次（上限 {limit} 次）。请在 {wait} 秒后重试。"
        "没有发送任何内容。"
    ),
    "runs.budget.cap_visitor": (
        "已达预算上限：这次运行需要 {cost}，最近 {hours} 小时内你已花费 {spent}，你的额度为 {cap}。没有发送任何内容。"
    ),
    "runs.budget.cap_address": (
        "已达预算上限：这次运行需要 {cost}，最近 {hours} 小时内来自你所在网络的访客已花费 {spent}，"
        "每个地址的额度为 {cap}（同一地址后面的所有人共享这份额度，例如同一间办公室）。没有发送任何内容。"
    ),
    "runs.budget.cap_address_sign_in": (
        "已达预算上限：这次运行需要 {cost}，最近 {hours} 小时内来自你所在网络的访客已花费 {spent}，"
        "每个地址的额度为 {cap}（同一地址后面的所有人共享这份额度，例如同一间办公室）。"
        "使用 Hugging Face 登录即可获得你自己的额度。没有发送任何内容。"
    ),
    "runs.budget.cap_total": (
        "已达预算上限：这次运行需要 {cost}，本服务器已花费 {spent}，总预算为 {cap}。没有发送任何内容。"
    ),
    # visitors and ownership
    "runs.visitors.kept_for_team": "本服务器的密钥仅供其团队使用：请以获准用户的身份使用 Hugging Face 登录后再运行。",
    "runs.visitors.not_on_list": "{account} 不在本服务器允许使用其密钥运行的名单上。",
    "runs.ownership.not_yours": "任务 {task_id} 属于本服务器的另一位访客。",
    "runs.ownership.not_this_browsers": "这次运行不属于本浏览器；请从列表中选择。",
    "runs.ownership.no_video_to_remix": "这次运行没有可续写的已完成视频。",
    # frames: images and remix sources
    "runs.frames.no_host": "未配置图片托管服务（见 UPLOAD_HOSTS）。",
    "runs.frames.no_public_host": "未配置公开的图片托管服务。",
    "runs.frames.where_it_goes": "图片去向：{live} 演示模式下，图片只保存在本机。",
    "runs.frames.frame_refused": "{label}无法使用：{problem}",
    "runs.frames.frame_note": "{label}提示：{note}",
    "runs.frames.frame_hosted": "{label}上传情况：{summary}",
    "runs.frames.not_uploaded": "{label}未能上传：{problem}",
    "runs.frames.unknown_source": "未知的续写来源 {choice}",
    "runs.frames.not_your_video": "源视频：该链接不是你的运行所生成的视频。",
    "runs.frames.clip_refused": "源视频无法使用：{problem}",
    "runs.frames.needs_task_id": "视频续写需要源视频：请输入任务 ID。",
    "runs.frames.task_problem": "任务 {task_id} 出错：{problem}",
    "runs.frames.no_video_to_remix": "任务 {task_id} 没有可续写的已完成视频（{status}）",
}
