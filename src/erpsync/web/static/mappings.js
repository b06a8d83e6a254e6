// erpsync: the connection set-up pages (Mappings, List mapping, Defaults, Rank Fields, Sync
// priority). The server renders the rules' answers (which directions a CRM field allows and why
// not); this script only reflects them while the administrator clicks, and saves through the
// agent API, which checks everything again. Every text shown comes from the page (data-*).
"use strict";

(() => {
  const all = (selector, root = document) => [...root.querySelectorAll(selector)];

  // -- saving a long form: problems beside their rows, a summary on top, focus on the first ------

  function errorBox(form, text) {
    const box = document.createElement("div");
    box.className = "form-errors"; box.dataset.generated = "1"; box.setAttribute("role", "alert");
    box.textContent = text;
    form.prepend(box);
  }

  async function save(form) {
    const submit = form.querySelector('[type="submit"]');
    if (submit) submit.disabled = true;
    try {
      const reply = await erpsync.agent(form.dataset.save, erpsync.formJson(form));
      if (reply.ok) {
        if (form.dataset.success) erpsync.flash(form.dataset.success);
        location.reload();
        return;
      }
      erpsync.showErrors(form, reply.data);
      const data = reply.data || {};
      if (data.detail && (data.errors || []).length && !form.querySelector(".form-errors[data-generated]")) {
        errorBox(form, data.detail);
      }
      form.dispatchEvent(new CustomEvent("mappings:failed", { bubbles: true }));
      const first = form.querySelector(".field-error[data-generated]");
      const place = first && first.closest("tr, section");
      const control = place && (place.querySelector("select") || place.querySelector("input:not([type=hidden]), button"));
      if (control) { control.focus(); first.scrollIntoView({ block: "center" }); }
      else form.querySelector(".form-errors[data-generated]")?.scrollIntoView({ block: "center" });
    } finally {
      if (submit) submit.disabled = false;
    }
  }

  // A notice of the previous save is stale once another save starts (capture: before any handler).
  document.addEventListener("submit", () => {
    for (const notice of all("main > .notice")) notice.remove();
  }, true);

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.save) return;
    event.preventDefault();
    save(form);
  });

  // -- Mappings: direction toggles, CRM field picker, Show in ERP tab ---------------------------

  function mappingRow(form, row) {
    const select = row.querySelector("select.crm-field");
    const gui = row.querySelector("input.show-in-gui");
    const toggles = all("button.direction", row);
    const password = row.dataset.password === "1";

    function refresh() {
      const option = select.selectedOptions[0] || select.options[0];
      const shown = gui && gui.checked;
      let syncing = false;
      for (const toggle of toggles) {
        const direction = toggle.dataset.direction; // "Crm" (ERP → CRM) or "Erp" (CRM → ERP)
        let reason = "";
        if (row.dataset.missingErp === "1") reason = form.dataset.reasonMissingErp;
        else if (option.dataset["to" + direction] !== "1") reason = option.dataset["to" + direction + "Reason"];
        else if (shown) reason = form.dataset.reasonShown;
        if (reason) {
          toggle.setAttribute("aria-disabled", "true");
          toggle.setAttribute("aria-pressed", "false");
          toggle.title = reason;
        } else {
          toggle.removeAttribute("aria-disabled");
          toggle.title = toggle.dataset.title;
        }
        const on = toggle.getAttribute("aria-pressed") === "true";
        row.querySelector(`input[data-sync="${direction}"]`).value = String(on);
        syncing = syncing || on;
      }
      if (gui && !password) {
        gui.disabled = syncing;
        if (syncing) gui.checked = false;
        gui.title = syncing ? form.dataset.reasonSynced : "";
      }
    }

    row.addEventListener("click", (event) => {
      const toggle = event.target.closest("button.direction");
      if (!toggle || toggle.getAttribute("aria-disabled") === "true") return;
      toggle.setAttribute("aria-pressed", toggle.getAttribute("aria-pressed") === "true" ? "false" : "true");
      refresh();
    });
    select.addEventListener("change", refresh);
    gui?.addEventListener("change", refresh);
    refresh();
  }

  for (const form of all("form.mapping-form")) {
    for (const row of all("tr[data-mapping-row]", form)) mappingRow(form, row);
  }

  // -- List mapping: a CRM item chosen twice shows red at once (the hub refuses it on save) -----

  function markDuplicates(section) {
    const selects = all("select[data-crm-item]", section);
    const counts = new Map();
    for (const s of selects) if (s.value) counts.set(s.value, (counts.get(s.value) || 0) + 1);
    for (const s of selects) {
      const twice = Boolean(s.value) && counts.get(s.value) > 1;
      const note = s.parentElement.querySelector(".dup-note");
      s.closest("tr").classList.toggle("duplicate", twice);
      if (twice) {
        s.setAttribute("aria-invalid", "true");
        s.setAttribute("aria-describedby", note.id);
      } else {
        s.removeAttribute("aria-invalid");
        s.removeAttribute("aria-describedby");
      }
      note.hidden = !twice;
    }
  }

  for (const section of all("[data-list-mapping]")) {
    section.addEventListener("change", () => markDuplicates(section));
    markDuplicates(section);
  }
  // showErrors clears every aria-invalid: mark the duplicates again after a refused save.
  document.addEventListener("mappings:failed", (event) => {
    for (const section of all("[data-list-mapping]", event.target)) markDuplicates(section);
  });

  // -- Rank Fields and Sync priority: move up / down, keyboard friendly -------------------------

  function renumber(table) {
    const rows = all("tbody tr", table);
    rows.forEach((row, index) => {
      row.querySelector("[data-position]").textContent = String(index + 1);
      row.querySelector('[data-move="-1"]').disabled = index === 0;
      row.querySelector('[data-move="1"]').disabled = index === rows.length - 1;
      const hidden = row.querySelector('input[type="hidden"][name^="ErpConnectionIds"]');
      if (hidden) hidden.name = `ErpConnectionIds[${index}]`;
    });
  }

  function announce(table, row) {
    const status = table.closest("section, form").querySelector("[data-rank-status]");
    if (!status) return;
    const position = all("tbody tr", table).indexOf(row) + 1;
    status.textContent = status.dataset.text.replace("{field}", row.dataset.name).replace("{position}", position);
  }

  /** Keep the keyboard on the moved row: the same button, or the other one at an end. */
  function refocus(row, steps) {
    const same = row.querySelector(`[data-move="${steps}"]`);
    (same.disabled ? row.querySelector(`[data-move="${-steps}"]`) : same).focus();
  }

  for (const table of all("table[data-rank-list]")) {
    table.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-move]");
      if (!button || button.disabled) return;
      const row = button.closest("tr");
      const steps = Number(button.dataset.move);
      const reply = await erpsync.agent("MoveErpFieldItem", {
        ErpFieldId: Number(row.dataset.fieldId),
        Direction: steps,
        ErpConnectionId: Number(table.dataset.connectionId),
        ErpActorType: table.dataset.actorType,
      });
      if (!reply.ok) { erpsync.showErrors(table.closest("section"), reply.data); return; }
      const body = table.querySelector("tbody");
      const rows = new Map(all("tbody tr", table).map((r) => [r.dataset.fieldId, r]));
      for (const field of reply.data) {
        const moved = rows.get(String(field.ErpFieldId));
        if (moved) body.appendChild(moved);
      }
      renumber(table);
      refocus(row, steps);
      announce(table, row);
    });
  }

  for (const table of all("table[data-priority-list]")) {
    table.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-move]");
      if (!button || button.disabled) return;
      const row = button.closest("tr");
      const steps = Number(button.dataset.move);
      if (steps < 0) row.previousElementSibling?.before(row);
      else row.nextElementSibling?.after(row);
      renumber(table);
      refocus(row, steps);
      announce(table, row);
      const unsaved = table.closest("form").querySelector("[data-unsaved]");
      if (unsaved) unsaved.hidden = false;
    });
  }

  // -- Defaults: the Add / Edit dialog ----------------------------------------------------------

  const dialog = document.getElementById("default-dialog");
  const defaultForm = dialog?.querySelector("form[data-default-form]");
  if (defaultForm) {
    const field = defaultForm.querySelector("#default-field");
    const has = defaultForm.querySelector("#default-has");
    const text = defaultForm.querySelector("[data-value-input]");
    const check = defaultForm.querySelector("[data-value-check]");
    const list = defaultForm.querySelector("[data-value-list]");
    const label = defaultForm.querySelector("[data-value-label]");
    const prompt = defaultForm.querySelector("#default-prompt");
    const mandatory = defaultForm.querySelector("#default-mandatory");
    const encoded = defaultForm.querySelector("[data-encoded-value]");
    const lists = new Map(); // ERP list name → its items, read once per page

    const chosen = () => field.selectedOptions[0]?.dataset || {};
    const widget = () => {
      const type = chosen().fieldType;
      return type === "Checkbox" ? check : type === "List" ? list : text;
    };

    function syncEnabled() {
      for (const control of [text, check, list]) control.disabled = !has.checked;
    }

    async function fillList(name, value) {
      list.length = 1;
      if (!lists.has(name)) {
        list.disabled = true;
        const reply = await erpsync.agent("GetConfigListItems", {
          ErpConnectorId: Number(defaultForm.dataset.connectorId),
          ErpConnectionId: Number(defaultForm.dataset.connectionId),
          ListName: name,
        });
        if (!reply.ok) { erpsync.showErrors(defaultForm, reply.data); syncEnabled(); return; }
        lists.set(name, reply.data);
      }
      for (const item of lists.get(name)) list.add(new Option(item.DisplayValue || item.Key, item.Key));
      list.value = value;
      syncEnabled();
    }

    function load() {
      const d = chosen();
      erpsync.clearErrors(defaultForm);
      defaultForm.querySelector("[data-field-description]").textContent = d.description || "";
      has.checked = d.has === "1";
      prompt.checked = d.prompt === "1";
      const erpMandatory = d.erpMandatory === "1";
      mandatory.checked = erpMandatory || d.mandatory === "1";
      mandatory.disabled = erpMandatory;
      defaultForm.querySelector("[data-erp-mandatory-note]").hidden = !erpMandatory;
      for (const hint of all("[data-hint-for]", defaultForm)) hint.hidden = hint.dataset.hintFor !== d.fieldType;
      const current = widget();
      for (const control of [text, check, list]) control.hidden = control !== current;
      label.htmlFor = current.id;
      text.type = d.fieldType === "Datetime" ? "date" : "text";
      text.inputMode = d.fieldType === "Integer" ? "numeric" : d.fieldType === "Double" ? "decimal" : "text";
      text.value = current === text ? d.value || "" : "";
      check.value = d.value === "1" ? "[I:1]" : "[I:0]";
      syncEnabled();
      if (d.fieldType === "List") fillList(d.list, d.value || "");
    }

    /** The value as the hub takes it: [I:10], [F:2.5], [DT:MM/dd/yyyy …]; anything else is sent as
     *  typed, so that the hub's message says what is wrong with it. */
    function encode() {
      const type = chosen().fieldType;
      if (type === "Checkbox") return check.value;
      if (type === "List") return list.value;
      const value = text.value.trim();
      if (type === "Integer" && /^[+-]?\d+$/.test(value)) return `[I:${value}]`;
      if (type === "Double" && /^[+-]?(\d+[.,]?\d*|[.,]\d+)$/.test(value)) return `[F:${value.replace(",", ".")}]`;
      const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (type === "Datetime" && date) return `[DT:${date[2]}/${date[3]}/${date[1]} 00:00:00.0000000]`;
      return type === "Text" ? text.value : value;
    }

    // Runs before the shared handler on the document: the hidden member gets the encoded value.
    defaultForm.addEventListener("submit", () => { encoded.value = has.checked ? encode() : ""; });
    field.addEventListener("change", load);
    has.addEventListener("change", syncEnabled);

    function open(fieldId, editing) {
      if (fieldId) field.value = fieldId;
      defaultForm.querySelector("[data-title-add]").hidden = editing;
      defaultForm.querySelector("[data-title-edit]").hidden = !editing;
      load();
      dialog.showModal();
      (editing ? has : field).focus();
    }

    document.addEventListener("click", (event) => {
      const edit = event.target.closest("[data-default-edit]");
      if (edit) { open(edit.dataset.defaultEdit, true); return; }
      if (event.target.closest("[data-default-add]")) {
        const fresh = [...field.options].find((o) => o.dataset.configured !== "1");
        open(fresh ? fresh.value : "", false);
      }
    });
  }
})();
