"""Gradio's per-session state: built on demand (as Gradio would have it) and dropped once nothing needs it."""

from __future__ import annotations

import datetime

import gradio as gr
from gradio.state_holder import SessionState, StateHolder

from playground.web import sessions


def page() -> gr.Blocks:
    with gr.Blocks() as demo:
        name = gr.Textbox("Ada", label="name")
        count = gr.Slider(1, 4, value=2, step=1)
        kept = gr.State([])
        out = gr.Markdown()
        name.change(lambda n, c, k: f"{n} {c} {len(k)}", [name, count, kept], out)
    return demo


def gradio_built(demo: gr.Blocks) -> SessionState:
    session = SessionState.__new__(SessionState)
    sessions._GRADIO_INIT(session, demo)
    return session


def test_a_session_state_builds_each_config_when_used_and_lists_what_gradio_would(monkeypatch) -> None:
    demo = page()
    sessions.lean_session_state()
    built: list[int] = []
    real = type(demo.default_config).config_for_block  # a static method

    def counting(key, *args, **kwargs):
        built.append(key)
        return real(key, *args, **kwargs)

    monkeypatch.setattr(type(demo.default_config), "config_for_block", staticmethod(counting))
    lean = SessionState(demo)
    assert built == []  # nothing is built for a call that uses no component
    eager = gradio_built(demo)
    built.clear()
    assert set(vars(lean)) == set(vars(eager))
    key = next(iter(eager.config_values))
    assert key in lean.config_values and lean.config_values[key] == eager.config_values[key]
    assert built == [key]
    assert len(lean.config_values) == len(eager.config_values)
    assert list(lean.components) == list(eager.components)  # a deep link lists every block, in Gradio's order


def holder_with(demo: gr.Blocks, *ids: str) -> StateHolder:
    holder = StateHolder()
    holder.set_blocks(demo)
    for session_id in ids:
        holder[session_id]
    return holder


def ago(seconds: float) -> datetime.datetime:
    return datetime.datetime.now() - datetime.timedelta(seconds=seconds)


def test_idle_sessions_with_nothing_of_their_own_and_long_closed_ones_are_dropped() -> None:
    demo = page()
    holder = holder_with(demo, "fresh", "idle", "holding", "closed", "closed-long-ago")
    kept = next(b for b in demo.blocks.values() if isinstance(b, gr.State))
    holder["holding"][kept._id] = ["a run"]
    holder["closed"][kept._id] = ["a run"]
    holder["closed-long-ago"][kept._id] = ["a run"]
    for session_id in ("idle", "holding", "closed"):
        holder.time_last_used[session_id] = ago(120)
    holder.time_last_used["closed-long-ago"] = ago(4000)
    holder.session_data["closed"].is_closed = holder.session_data["closed-long-ago"].is_closed = True

    assert sessions.forget_idle_sessions(demo, idle_seconds=60, closed_seconds=3600) == 2
    assert set(holder.session_data) == {"fresh", "holding", "closed"}
    assert set(holder.time_last_used) == {"fresh", "holding", "closed"}
    assert holder["idle"].state_data == {}  # a dropped session that comes back starts afresh
