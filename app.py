"""Veo Playground: `python app.py`.

With no WAVE_API_KEY it runs on the embedded simulator (demo mode); Gradio's own variables
(GRADIO_SERVER_NAME, GRADIO_SERVER_PORT, …) choose where it listens.
"""

from __future__ import annotations

from playground.app import launch

if __name__ == "__main__":
    launch()
