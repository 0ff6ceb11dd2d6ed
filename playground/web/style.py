"""The workspace layout: two panes on a laptop screen, one column on a phone."""

from __future__ import annotations

WORKSPACE_CSS = """
#page-header { align-items: flex-start; }
#page-title h1 { font-size: 1.7em; margin: 0 0 2px; }
#page-title p { margin: 0; }
/* Holds a note only just after signing in; empty, it takes no room. */
#account-note:not(:has(p)) { display: none; }
.tab-intro p { margin: 0 0 4px; }
.workspace { align-items: flex-start; gap: 16px; }
/* The result pane stays in view while the form scrolls beside it. */
.result-pane { position: sticky; top: 8px; gap: 8px; }
.settings-row { gap: 8px; }
/* Room for the session lines a first run adds, so finishing one does not push the video down. */
.cost-readout { min-height: 156px; }
.cost-readout h3 { margin: 0 0 2px; }
.cost-readout p { margin: 2px 0; }
.run-buttons button { min-height: 42px; }
/* Room for a status with progress, timings and task id, so the video below never moves as it fills in. */
.status-box { min-height: 88px; }
.status-box .run-status { padding: 8px 12px; }
/* Timings and task id on one line under the bar. */
.status-box .timing, .status-box .task-id { display: inline-block; margin-right: 14px; }
.videos { gap: 8px; }
/* Compare: one line per variant, and cells whose heading keeps its height as the run fills it in. */
.variant-row { gap: 6px; align-items: flex-end; flex-wrap: nowrap !important; }
/* The controls share what the remove button leaves; they wrap inside their own box, never past it. */
.variant-row > .form { flex: 1 1 0% !important; min-width: 0 !important; }
.variant-row > button { flex: 0 0 auto !important; align-self: center; }
.compare-grid { gap: 8px; align-items: flex-start; }
.compare-cell { gap: 4px; }
.cell-status { min-height: 84px; font-size: 0.92em; }
.cell-status progress { width: 100%; }
.cell-status .task-id code { font-size: 0.85em; }
@media (max-width: 720px) {
  .result-pane { position: static; }
  .variant-row { flex-wrap: wrap !important; }
}
"""

#: Ctrl+Enter (Cmd+Enter on a Mac) in a tab's prompt presses that tab's Generate button, so the run
#: goes through exactly the checks a click does. One listener for the page, found by element ids
#: (``<action>-prompt`` → ``<action>-run``), since Gradio re-renders the textareas it holds.
KEYBOARD_HEAD = """
<script>
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
  const box = event.target.closest && event.target.closest("[id$='-prompt']");
  if (!box || event.target.tagName !== "TEXTAREA") return;
  const button = document.getElementById(box.id.replace(/-prompt$/, "-run"));
  if (!button || button.disabled) return;
  event.preventDefault();
  // Gradio takes the textarea's value on its input event; let that land before the click reads it.
  event.target.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(() => button.click(), 0);
});
</script>
"""
