"""Everything Gradio: the page (built first, wired after), its events, the named API, i18n and examples.

Only the composition root (``playground/app.py``) imports this layer.
"""

from .i18n import I18N
from .ui import build_app
from .view import CSS

__all__ = ["CSS", "I18N", "build_app"]
