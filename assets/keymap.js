// The page's keys, in one keymap: the chart keys and the review keys. `?` lists them.
//
// Chart keys (← → pan, + − zoom, Home back to live, Esc clears the selection) act on the chart
// the mouse was last over (the minute chart at first), and only while no text box, select or
// table cell has the focus: there the keys belong to what is being edited.
//
// Review keys: A accept, R reject, N next, in the Annotate panel's review loop and in the Review
// tab's uncertainty queue (A confirm, R dismiss, N next), whichever is shown. They press the
// panel's own buttons (so the server sees the same click), and never fire while the user types
// in a field. Every press is applied, in order: presses queue here, and the next button is
// pressed only once the server has answered the previous one (the panel's hidden "ack" element
// changes with each answer), so each press reads the selection its predecessor moved to.
(function () {
  const PAN = 0.1; // of the view's width per press
  const ZOOM = 0.8; // the view's width times this per "+", divided by it per "−"

  // ---- chart keys ----------------------------------------------------------------------
  let active = null; // the chart the mouse was last over

  function chart() {
    if (active && document.body.contains(active)) return active;
    return document.querySelector("#chart-1m .js-plotly-plot") || document.querySelector(".chart-block .js-plotly-plot");
  }

  function xRange(gd) {
    const ax = gd._fullLayout && gd._fullLayout.xaxis;
    return ax && ax.range ? [ax.r2l(ax.range[0]), ax.r2l(ax.range[1])] : null;
  }

  function setX(gd, r) {
    window.tdChart.relayout(gd, { "xaxis.range": r, "xaxis2.range": r.slice() });
  }

  function pan(direction) {
    const gd = chart(), r = gd && xRange(gd);
    if (!r) return;
    const step = (r[1] - r[0]) * PAN * direction;
    setX(gd, [r[0] + step, r[1] + step]);
  }

  function zoom(factor) {
    const gd = chart(), r = gd && xRange(gd);
    if (!r) return;
    const live = !gd.closest(".chart-block").classList.contains("away-from-live");
    // Live: keep the right edge (the newest candle stays in view); else around the middle.
    const anchor = live ? r[1] : (r[0] + r[1]) / 2;
    setX(gd, [anchor - (anchor - r[0]) * factor, anchor + (r[1] - anchor) * factor]);
  }

  function live() {
    const gd = chart();
    if (gd) window.tdChart.backToLive(gd);
  }

  // Clears the box selection on every chart; Dash hears plotly_deselect (selectedData: null),
  // so the Annotate panel's selection empties too.
  function clearSelection() {
    document.querySelectorAll(".chart-block .js-plotly-plot").forEach(function (gd) {
      if (!gd._fullLayout) return;
      if ((gd._fullLayout.selections || []).length || gd.querySelector(".select-outline")) {
        Plotly.relayout(gd, { selections: [] });
        gd.emit("plotly_deselect", null);
      }
      // Dash's copy of the selection too, whether or not the outline is still drawn: a tick's
      // redraw may have wiped the outline while the annotation form still holds the range
      const host = gd.closest(".dash-graph");
      if (host && host.id && window.dash_clientside && window.dash_clientside.set_props) {
        let id = host.id;
        try { id = JSON.parse(id); } catch (e) { /* a plain string id */ }
        window.dash_clientside.set_props(id, { selectedData: null });
      }
    });
  }

  // ---- review keys ---------------------------------------------------------------------
  const PANELS = [
    { ack: "ann-review-ack", keys: { a: "ann-accept", r: "ann-reject", n: "ann-next" } },
    { ack: "review-ack", keys: { a: "review-confirm", r: "review-dismiss", n: "review-next" } },
  ];
  const ANSWER_TIMEOUT_MS = 20000; // a lost answer must not block the keys for good
  const queue = [];
  let busy = false;

  function shown(el) {
    return el && el.offsetParent !== null;
  }

  function pump() {
    if (busy || !queue.length) return;
    const { button, ack } = queue.shift();
    const ackEl = document.getElementById(ack);
    if (!shown(button) || !ackEl) return pump();
    busy = true;
    const before = ackEl.textContent;
    let timer = null;
    const observer = new MutationObserver(function () {
      if (ackEl.textContent !== before) done();
    });
    function done() {
      observer.disconnect();
      clearTimeout(timer);
      busy = false;
      pump();
    }
    observer.observe(ackEl, { childList: true, characterData: true, subtree: true });
    timer = setTimeout(done, ANSWER_TIMEOUT_MS);
    button.click();
  }

  // True when the key was a review key of a shown panel (and is queued).
  function review(key) {
    for (const panel of PANELS) {
      const button = panel.keys[key] && document.getElementById(panel.keys[key]);
      if (!shown(button)) continue; // that panel's tab is not shown
      queue.push({ button: button, ack: panel.ack });
      pump();
      return true;
    }
    return false;
  }

  // ---- the keymap and its help ---------------------------------------------------------
  // [keys as event.key gives them, what the help shows, what it does, the action]
  const CHART = [
    [["ArrowLeft"], "←", "pan back in time", () => pan(-1)],
    [["ArrowRight"], "→", "pan forward in time", () => pan(1)],
    [["+", "="], "+", "zoom in", () => zoom(ZOOM)],
    [["-", "_"], "−", "zoom out", () => zoom(1 / ZOOM)],
    [["Home"], "Home", "back to live", live],
    [["Escape"], "Esc", "clear the selection (or close this list)", clearSelection],
    [["?"], "?", "show or hide this list of keys", toggleHelp],
  ];
  const REVIEW = [
    ["A", "accept (Annotate) · confirm (Review)"],
    ["R", "reject (Annotate) · dismiss (Review)"],
    ["N", "next span"],
  ];

  function help() {
    let el = document.getElementById("key-help");
    if (el) return el;
    el = document.createElement("div");
    el.id = "key-help";
    el.setAttribute("role", "dialog");
    el.setAttribute("aria-label", "Keyboard keys");
    const rows = (list) => list.map(([k, what]) => `<tr><td><kbd>${k}</kbd></td><td>${what}</td></tr>`).join("");
    el.innerHTML =
      "<h6>Keys</h6>" +
      "<table><tbody>" +
      rows(CHART.map((c) => [c[1], c[2]])) +
      '<tr><td colspan="2" class="key-help-section">Review (when the panel is shown)</td></tr>' +
      rows(REVIEW) +
      "</tbody></table>" +
      '<div class="key-help-note">Chart keys act on the chart the mouse was last over, not while typing in a field or a table cell.</div>';
    el.addEventListener("click", () => toggleHelp(false));
    document.body.appendChild(el);
    return el;
  }

  function toggleHelp(show) {
    const el = help();
    const open = typeof show === "boolean" ? show : !el.classList.contains("open");
    el.classList.toggle("open", open);
  }

  function typing(target) {
    const tag = (target && target.tagName) || "";
    if (choice(target)) return false; // a radio or checkbox just clicked: the keys are the chart's
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (target && target.isContentEditable)) return true;
    // A widget that takes keys itself (a slider's Home/End/arrows, a dropdown's list)
    const role = (target && target.getAttribute && target.getAttribute("role")) || "";
    if (/^(slider|spinbutton|listbox|option|combobox|textbox|menu|menuitem|tab)$/.test(role)) return true;
    // A table cell: the DataTable handles keys on the document once a cell is active.
    return !!(target && target.closest && target.closest(".dash-spreadsheet-container")) ||
      !!document.querySelector(".dash-spreadsheet-container td.focused");
  }

  function choice(target) {
    return target && target.tagName === "INPUT" && /^(radio|checkbox|button)$/.test(target.type);
  }

  // Capture phase: the span table handles keys on the document itself once a cell is active.
  window.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const key = event.key || "";
    if (key === "Escape" && document.querySelector("#key-help.open")) {
      toggleHelp(false);
      event.preventDefault();
      return;
    }
    // Review keys: not while typing in a field (a checkbox or radio with the focus is no field).
    const field = /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName || "") && !choice(target);
    if (!event.repeat && !field && !(target && target.isContentEditable) && review(key.toLowerCase())) {
      event.preventDefault();
      return;
    }
    if (typing(target)) return;
    const entry = CHART.find((c) => c[0].includes(key));
    if (!entry || !window.tdChart) return;
    event.preventDefault();
    entry[3]();
  }, true);

  document.addEventListener("mouseover", function (event) {
    const gd = event.target.closest && event.target.closest(".chart-block .js-plotly-plot");
    if (gd) active = gd;
  });

  window.tdKeys = { chart: CHART.map((c) => c[1]), review: REVIEW.map((r) => r[0]) };
})();
