"""Chinese for the templates declared in media."""

from __future__ import annotations

MEDIA: dict[str, str] = {
    # images: why a file cannot be used, and what was changed
    "media.images.too_many_pixels": (
        "这张图片有 {width}×{height} 像素（{megapixels} 百万像素），超过了 {limit} 百万像素的上限；请缩小后重试。"
    ),
    "media.images.too_much_pixel_data": (
        "这张图片有 {width}×{height} 像素，解码后需要 {size} 的像素数据，超过了 {limit} MB 的上限；"
        "请保存为更小的尺寸（Veo 最多使用 3840×2160）后重试。"
    ),
    "media.images.profile_too_big": (
        "这张图片内嵌的色彩配置文件解压后超过 {limit} MB，远大于任何真实的配置文件；请使用标准配置文件（例如 sRGB）"
        "重新导出。"
    ),
    "media.images.metadata_too_big": "这张图片内嵌的文本（元数据）超过 {limit} MB；请去掉元数据重新导出后重试。",
    "media.images.empty_file": "文件是空的。",
    "media.images.file_far_too_big": "文件大小为 {size}，远超 20 MB 的上限；请使用更小的图片。",
    "media.images.pixel_bomb": "这张图片的像素多得无法安全处理（上限为 {limit} 百万像素）。",
    "media.images.damaged": "图片文件已损坏或不完整（可能没有下载完）；请重新导出或下载。",
    "media.images.heic": (
        "这是 HEIC 格式的照片（iPhone 默认格式），暂不支持；请导出为 JPEG，或把相机设置为“兼容性最佳”后重试。"
    ),
    "media.images.a_video": "这看起来是视频而不是静态图片；请使用 JPG、PNG 或 WEBP 图片。",
    "media.images.a_pdf": "这是 PDF 文档而不是图片；请把页面导出为 PNG 或 JPG。",
    "media.images.an_svg": "不支持 SVG 矢量图；请导出为 PNG。",
    "media.images.a_text": "这是文本文件而不是图片；请使用 JPG、PNG 或 WEBP 图片。",
    "media.images.a_text_named": (
        "这是文本文件而不是图片，尽管它的文件名以 .{extension} 结尾；请使用 JPG、PNG 或 WEBP 图片。"
    ),
    "media.images.unreadable": "这个文件不是我们能读取的图片格式；请使用 JPG、PNG 或 WEBP 图片。",
    "media.images.unreadable_named": (
        "这个文件不是我们能读取的图片格式，尽管它的文件名以 .{extension} 结尾；请使用 JPG、PNG 或 WEBP 图片。"
    ),
    "media.images.saved_as_jpeg": "已保存为 JPEG，因为保存为 PNG 会超过 20 MB。",
    "media.images.turned_upright": "已根据照片的方向标记把图片转正。",
    "media.images.has_gps": "这张照片含有 GPS 位置信息，会随照片一起上传。",
    "media.images.over_limit": "图片大小为 {size}，超过了 20 MB 的上限；请保存为 JPEG 或缩小后重试。",
    "media.images.transparent": "这张图片有透明区域；服务商可能会用黑色或白色填充。",
    "media.images.small": "这张图片只有 {width}×{height} 像素；建议短边至少 {shortest} 像素，否则视频可能不够清晰。",
    # framing: how a picture fits the video
    "media.framing.narrower": (
        "图片比例为 {shape}，而视频将是 {aspect}：'pad' 会在左右两侧补边，'crop' 会裁掉上下部分（画面的 {lost}）。"
    ),
    "media.framing.wider": (
        "图片比例为 {shape}，而视频将是 {aspect}：'pad' 会在上下补边，'crop' 会裁掉左右两侧（画面的 {lost}）。"
    ),
    "media.framing.frames_differ": (
        "首帧比例为 {first_shape}（{first}），而尾帧为 {last_shape}（{last}）；两者的适配方式不同，"
        "视频中的画面可能会移动或跳动。"
    ),
    "media.framing.frame_sizes_differ": (
        "首帧为 {first}，尾帧为 {last}：比例相同但尺寸不同，其中一张会被缩放，可能显得不够清晰。"
    ),
}
