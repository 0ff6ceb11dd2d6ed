"""Everything Gradio: the page (built first, wired after), its events, the named API, i18n and examples.

Only the composition root (``playground/app.py``) imports this layer.
"""

from .i18n import I18N
from .sessions import keep_sessions_lean, lean_session_state
from .style import KEYBOARD_HEAD, WORKSPACE_CSS
from .ui import build_app
from .view import CSS as _STATUS_CSS

#: The page's style sheet, passed to ``launch(css=...)``.
CSS = _STATUS_CSS + WORKSPACE_CSS
#: What the page adds to its <head>: the keyboard shortcut.
HEAD = KEYBOARD_HEAD

__all__ = ["CSS", "HEAD", "I18N", "build_app", "keep_sessions_lean", "lean_session_state"]
