// Review keys of the Annotate panel: A accept, R reject, N next. They press the panel's own
// buttons (so the server sees the same click), and never fire while the user types in a field.
(function () {
  const KEYS = { a: "ann-accept", r: "ann-reject", n: "ann-next" };
  // Capture phase: the span table handles keys on the document itself once a cell is active.
  window.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    const tag = (target && target.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (target && target.isContentEditable)) return;
    const id = KEYS[(event.key || "").toLowerCase()];
    const button = id && document.getElementById(id);
    if (!button || button.offsetParent === null) return; // the Annotate tab is not shown
    event.preventDefault();
    button.click();
  }, true);
})();
