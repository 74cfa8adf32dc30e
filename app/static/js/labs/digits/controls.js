// Digits, the network controls: those the current model does not use are greyed
// and inert, with a note that says why (hidden layers mean nothing to softmax
// regression or the CNN, conv layers nothing to the others).

// The network fields each model does not use, and the note that says why.
const UNUSED = { softmax: ["hidden", "activation", "filters"], mlp: ["filters"], cnn: ["hidden", "activation"] };
const NOTES = [
  { id: "network-note", before: "hidden", key: (m) => (m === "cnn" ? "network.cnn_note" : "network.softmax_note") },
  { id: "filters-note", before: "filters", key: () => "network.filters_note" },
];

/** Controls the current model does not use are shown greyed and inert, with why. */
export function networkApplies(model, t) {
  const unused = UNUSED[model] ?? [];
  for (const name of ["hidden", "activation", "filters"]) {
    const row = document.querySelector(`.ctl-${name}`);
    if (!row) continue;
    row.inert = unused.includes(name);
    row.classList.toggle("inapplicable", row.inert);
  }
  for (const { id, before, key } of NOTES) {
    const row = document.querySelector(`.ctl-${before}`);
    if (!row) continue;
    let note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "ctl-note";
      row.before(note);
    }
    note.dataset.i18n = key(model);
    note.textContent = t(note.dataset.i18n);
    note.hidden = !unused.includes(before);
  }
}

