// Review keys: A accept, R reject, N next, in the Annotate panel's review loop and in the Review
// tab's uncertainty queue (A confirm, R dismiss, N next), whichever is shown. They press the
// panel's own buttons (so the server sees the same click), and never fire while the user types
// in a field.
//
// Every press is applied, in order: presses queue here, and the next button is pressed only
// once the server has answered the previous one (the panel's hidden "ack" element changes with
// each answer), so each press reads the selection its predecessor moved to.
(function () {
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

  // Capture phase: the span table handles keys on the document itself once a cell is active.
  window.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    const tag = (target && target.tagName) || "";
    const choice = tag === "INPUT" && /^(radio|checkbox|button)$/.test(target.type);
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) && !choice) return; // typing in a field
    if (target && target.isContentEditable) return;
    const key = (event.key || "").toLowerCase();
    for (const panel of PANELS) {
      const button = panel.keys[key] && document.getElementById(panel.keys[key]);
      if (!shown(button)) continue; // that panel's tab is not shown
      event.preventDefault();
      queue.push({ button: button, ack: panel.ack });
      pump();
      return;
    }
  }, true);
})();
