"""Real-browser tests of the teaching layer: a jupyterquiz quiz answered right and wrong in
JupyterLab, and a notebook presented as RISE slides with a panel that works.

They reuse tests/test_browser.py's isolated JupyterLab server and Chromium (same rules: a copy of
the notebooks, random port and token, skip with a reason on a laptop without Chromium, fail under
CI=true). Every request to a host other than 127.0.0.1 is aborted and recorded: the quiz and the
slides must work offline (no CDN), and the test fails if the quiz or the slides asked for one.
Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import json
import time

import pytest
from test_browser import (  # noqa: F401  (fixtures, used by name)
    READOUT,
    ROOT,
    RUN_ALL_S,
    VIEWPORT,
    _kernels,
    _screenshot,
    _wait_kernel_idle_and_connected,
    browser,
    course_copy,
    jupyter_lab,
)

pytestmark = pytest.mark.browser

QUIZ_NOTEBOOK = "01_membership_game.ipynb"
SLIDES_NOTEBOOK = "02_overfitting_and_membership.ipynb"   # its panel: the overfitting explorer


def _offline_page(chromium, external: list[str]):
    """A page on which every non-local request is aborted and recorded in ``external``."""
    context = chromium.new_context(viewport=VIEWPORT)

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context, context.new_page()


def _wait_kernel_idle(base: str, token: str, timeout: float) -> None:
    """Every kernel idle, and one with the page connected (the quiz test's kernel may linger)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = _kernels(base, token)
        if kernels and all(k["execution_state"] == "idle" for k in kernels) and \
                any(k["connections"] >= 1 for k in kernels):
            return
        time.sleep(0.5)
    raise TimeoutError(f"kernel not idle and connected within {timeout} s: {_kernels(base, token)}")


def _drag_epochs(page, readout):
    """Drag the explorer's epochs handle to the right and wait for the readout to change."""
    before = readout.inner_text()
    slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="epochs")).first
    before_value = slider.locator(".widget-readout").text_content().strip()
    box = slider.locator(".noUi-handle").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 25, y, steps=5)
    page.mouse.up()
    page.wait_for_function("([el, text]) => el.innerText !== text", arg=[readout.element_handle(), before],
                           timeout=120_000)
    after_value = slider.locator(".widget-readout").text_content().strip()
    assert int(after_value) > int(before_value), (before_value, after_value)
    return before, readout.inner_text()


def _open_in_lab(page, base: str, token: str, name: str) -> None:
    page.goto(f"{base}/lab/tree/{name}?token={token}", wait_until="domcontentloaded", timeout=120_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    try:
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=5_000)
    except Exception:  # noqa: BLE001 — no kernel dialog is the normal case
        pass
    _wait_kernel_idle_and_connected(page, base, token, timeout=120)


def test_quiz_answered_right_and_wrong_in_jupyterlab(browser, jupyter_lab):  # noqa: F811 (fixtures)
    """Run notebook 01, answer quiz 01a's numeric question right (0.3) and its multiple-choice
    question wrong (0.15), and see jupyterquiz's feedback for each."""
    base, token = jupyter_lab
    external: list[str] = []
    context, page = _offline_page(browser, external)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _open_in_lab(page, base, token, QUIZ_NOTEBOOK)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
        quiz = page.locator(".Quiz", has_text="membership advantage").first
        quiz.wait_for(timeout=RUN_ALL_S * 1000)
        _wait_kernel_idle_and_connected(page, base, token, timeout=RUN_ALL_S)
        quiz.scroll_into_view_if_needed()

        numeric = page.locator(".Quiz", has_text="membership advantage").first   # one .Quiz per question
        box = numeric.locator("input.Input-text").first
        box.click()
        box.type("0.3", delay=50)   # key by key: jupyterquiz filters keypresses
        box.press("Enter")
        right = numeric.locator(".Feedback.correct")
        right.wait_for(timeout=10_000)
        assert "TPR − FPR" in right.inner_text()

        choice = page.locator(".Quiz", has_text="wins 65 %").first
        choice.locator(".MCButton", has_text="0.15").first.click()
        wrong = choice.locator(".Feedback.incorrect")
        wrong.wait_for(timeout=10_000)
        assert "2·P(win) − 1" in wrong.inner_text()
        time.sleep(0.3)
        numeric.scroll_into_view_if_needed()
        path = _screenshot(page, "jupyterlab_01_quiz.png")
        assert path.stat().st_size > 20_000
    finally:
        context.close()
    assert not external, f"the quiz page asked for non-local URLs (it must work offline): {external}"
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_notebook_as_rise_slides_with_a_live_panel(browser, jupyter_lab):  # noqa: F811 (fixtures)
    """Open notebook 02 as RISE slides (jupyterlab-rise's /rise/ view), step through it with
    Shift+Enter as a presenter does, and move the explorer's epochs slider on its slide."""
    base, token = jupyter_lab
    nb = json.loads((ROOT / "notebooks" / SLIDES_NOTEBOOK).read_text())
    assert nb["metadata"].get("rise"), "the notebook has no RISE metadata (python tools/teaching.py apply)"
    panel = next(i for i, c in enumerate(nb["cells"]) if "overfitting_explorer(" in "".join(c["source"]))
    external: list[str] = []
    context, page = _offline_page(browser, external)
    try:
        page.goto(f"{base}/rise/{SLIDES_NOTEBOOK}?token={token}", wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_selector(".reveal.ready", timeout=120_000)
        assert page.locator(".reveal .slides > section").count() >= 5, "RISE made fewer than 5 slides"
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached",
                               timeout=120_000)
        page.locator(".jp-Notebook").first.focus()
        for _ in range(panel + 1):        # RISE's Shift+Enter runs the cell and moves on, slide by slide
            page.keyboard.press("Shift+Enter")
            time.sleep(0.2)
        readout = page.locator(".widget-html", has_text=READOUT).first
        readout.wait_for(state="attached", timeout=RUN_ALL_S * 1000)
        _wait_kernel_idle(base, token, timeout=RUN_ALL_S)   # RISE hides the toolbar's indicator: ask the server
        # the presenter has moved on: page back to the panel's slide (RISE hides the others)
        on_screen = "e => e.closest('section').classList.contains('present')"
        for _ in range(panel + 1):
            if readout.evaluate(on_screen):
                break
            page.keyboard.press("PageUp")
            time.sleep(0.5)
        assert readout.evaluate(on_screen), "could not page back to the panel's slide"
        before, after = _drag_epochs(page, readout)   # Reveal takes the arrow keys: drag with the mouse
        assert before != after and "AUC" in after
        time.sleep(0.5)
        path = _screenshot(page, "rise_02_explorer_slide.png")
        assert path.stat().st_size > 20_000
        assert page.locator(".reveal").count() == 1, "the slideshow closed"
    finally:
        context.close()
    fonts = [u for u in external if "fonts" in u]
    assert not fonts, f"the slides asked for web fonts (pick a RISE theme without them): {fonts}"
