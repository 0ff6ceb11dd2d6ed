"""Chinese for the templates declared in wave."""

from __future__ import annotations

WAVE: dict[str, str] = {
    # errors: one explanation per kind of failure
    "wave.errors.generic": "与视频服务通信时出了问题。",
    "wave.errors.invalid_request": "服务方认为请求无效并拒绝了它。未产生任何费用。",
    "wave.errors.key_refused": "API 密钥被拒绝。请检查密钥（可能输错、已被撤销，或属于其他服务）。",
    "wave.errors.balance": "你的 Wave 账户余额不足以生成这个视频。请充值后重试；未产生任何费用。",
    "wave.errors.task_not_found": "服务方找不到这个任务，或者它属于另一个 API 密钥。",
    "wave.errors.rate_limited": "服务方正在限制请求频率。请稍等片刻再试。",
    "wave.errors.unavailable": "视频服务出现内部错误。请稍后再试。",
    "wave.errors.unreachable": "无法连接到视频服务（网络错误或超时）。",
    "wave.errors.unreadable": "视频服务返回了 Playground 无法读取的应答。",
    "wave.errors.submit_uncertain": (
        "请求发出后连接中断，任务可能已经创建（并已计费）。再次提交前，请先在 Wave 控制台中查看。"
    ),
    "wave.errors.task_failed": "服务商未能生成这个视频。",
    "wave.errors.content_filtered": (
        "服务商的安全过滤器拦截了这个视频。你没有被扣费：请改写提示词（或更换图片）后重试。"
    ),
    "wave.errors.poll_timeout": "任务耗时超过了 Playground 的等待时长。它可能仍会完成：请保留任务 ID，稍后接续。",
    "wave.errors.cancel_refused": "只有仍在排队的任务才能取消；这个任务已经开始处理。",
    "wave.errors.request_refused": "视频服务拒绝了该请求。",
    "wave.errors.not_sent": "请求未能发出，因此未产生任何费用。",
    "wave.errors.not_sent_because": "请求未能发出（{detail}），因此未产生任何费用。",
    "wave.errors.unusable_key": (
        "这个 API 密钥无法使用：其中含有空格、换行，或普通字母、数字和标点以外的字符。请重新粘贴密钥；"
        "没有发送任何内容。"
    ),
    "wave.errors.download_failed": "下载中断（网络错误、超时或传输停滞）。",
    "wave.errors.link_refused": "服务商的视频链接拒绝了下载；链接会过期（任务完成后 24 小时到 3 天）。",
    # how an explanation is joined with what the service said
    "wave.errors.service_said": "{message}（服务方返回：{detail}）",
    "wave.errors.with_task_id": "{message} 任务 ID：{task_id}。",
    "wave.errors.failed_because": "{message}（原因：{detail}）",
    "wave.errors.with_code": "{message}（错误代码：{code}）",
    "wave.errors.with_status": "{message}（HTTP 状态码 {status}）",
    # details of the errors the client raises
    "wave.client.broken_character": "文本中含有损坏的字符（未配对的代理字符）",
    "wave.client.not_json": "请求无法写成 JSON：{reason}",
    "wave.client.created_unreadable": "任务 {task_id} 已创建，但无法读取：{detail}",
    "wave.task.still_running": "已过 {seconds} 秒，仍处于 {status} 状态",
    "wave.wire.unreadable_task": "无法读取的任务 JSON：{reason}",
}
