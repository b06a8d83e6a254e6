// Settings → Sync → Import from ERP: the wizard's steps 2 to 5 (search, duplicates, preview,
// import) against the agent API. Step 1 is a plain form; texts come from the page (#import-texts).
"use strict";

(() => {
  const wizard = document.getElementById("import-wizard");
  if (!wizard) return;

  // --- step 1: the actor types follow the connection chosen -------------------------------------
  const connectionSelect = document.getElementById("import-connection");
  const typeSelect = document.getElementById("import-type");
  if (connectionSelect && typeSelect) {
    const follow = () => {
      const mine = [...typeSelect.options].filter((o) => o.dataset.connection === connectionSelect.value);
      for (const option of typeSelect.options) {
        option.hidden = option.disabled = !mine.includes(option);
      }
      if (!mine.includes(typeSelect.selectedOptions[0]) && mine.length) typeSelect.value = mine[0].value;
    };
    connectionSelect.addEventListener("change", follow);
    follow();
  }

  // --- automatic sync: importing is refused while it is on ---------------------------------------
  const engineBox = document.getElementById("engine-on");
  const runButton = document.getElementById("run-import");
  function engineIsOn(on) {
    engineBox.hidden = !on;
    if (runButton) runButton.disabled = on;
  }
  document.getElementById("engine-off").addEventListener("click", async () => {
    erpsync.clearErrors(engineBox);
    const reply = await erpsync.agent("ChangeEngineStatus", { Run: false });
    if (!reply.ok) return erpsync.showErrors(engineBox, reply.data);
    engineIsOn(reply.data.IsRunning);
    runButton?.focus();
  });

  if (!wizard.dataset.connection) return;
  const texts = JSON.parse(document.getElementById("import-texts").textContent);
  const connectionId = parseInt(wizard.dataset.connection, 10);
  const actorType = wizard.dataset.actorType;
  const entity = wizard.dataset.entity;
  const API_PLURAL = { company: "companies", person: "persons", project: "projects" };
  const PAGE_PLURAL = { company: "companies", person: "contacts", project: "projects" };
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));
  /** A count as the page's language writes it (1.000 in Danish, 1,000 in English). */
  const number = (n) => new Intl.NumberFormat(document.documentElement.lang || undefined).format(n);
  const $ = (id) => document.getElementById(id);
  const el = (tag, { dataset, ...props } = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    Object.assign(node.dataset, dataset || {});
    node.append(...children);
    return node;
  };

  function show(step) {
    wizard.querySelectorAll(".wizard-step").forEach((s) => { s.hidden = s.dataset.step !== String(step); });
    wizard.querySelectorAll(".wizard-steps li").forEach((li) => {
      if (li.dataset.step === String(step)) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
    $(`step-${step}-heading`).focus();
  }
  wizard.addEventListener("click", (event) => {
    const back = event.target.closest("[data-back]");
    if (back) show(back.dataset.back);
  });

  // --- step 2: criteria -------------------------------------------------------------------------
  const criteria = $("criteria");
  const operatorLabels = Object.fromEntries(
    [...$("operator-labels").content.querySelectorAll("option")].map((o) => [o.value, o.textContent]),
  );
  let rows = 0;
  const part = (row, name) => row.querySelector(`[data-part="${name}"]`);

  function fitOperator(row) {
    const between = part(row, "operator").value === "between";
    part(row, "and").hidden = part(row, "value2").hidden = !between;
  }

  function fitField(row) {
    const option = part(row, "field").selectedOptions[0];
    const type = option ? option.dataset.type : "Text";
    const operator = part(row, "operator");
    const keep = operator.value;
    operator.replaceChildren(
      ...(option ? option.dataset.operators.split(" ") : []).map((op) => el("option", { value: op, textContent: operatorLabels[op] || op })),
    );
    if ([...operator.options].some((o) => o.value === keep)) operator.value = keep;
    const checkbox = type === "Checkbox";
    const value = part(row, "value");
    value.hidden = checkbox;
    part(row, "bool").hidden = !checkbox;
    row.querySelector('[data-label-for="value"]').htmlFor = (checkbox ? part(row, "bool") : value).id;
    for (const input of [value, part(row, "value2")]) {
      input.type = type === "Datetime" ? "date" : "text";
      input.inputMode = type === "Integer" || type === "Double" ? "decimal" : "text";
      input.placeholder = type === "List" ? value.dataset.listPlaceholder : "";
    }
    fitOperator(row);
  }

  function addCriterion() {
    const row = $("criterion-template").content.firstElementChild.cloneNode(true);
    const n = rows++;
    row.querySelectorAll("input[data-part], select[data-part]").forEach((input) => { input.id = `criterion-${n}-${input.dataset.part}`; });
    row.querySelectorAll("[data-label-for]").forEach((label) => { label.htmlFor = `criterion-${n}-${label.dataset.labelFor}`; });
    part(row, "field").addEventListener("change", () => fitField(row));
    part(row, "operator").addEventListener("change", () => fitOperator(row));
    part(row, "remove").addEventListener("click", () => {
      row.remove();
      $("add-criterion").focus();
    });
    criteria.appendChild(row);
    fitField(row);
    return row;
  }
  $("add-criterion").addEventListener("click", () => part(addCriterion(), "field").focus());
  criteria.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input")) {
      event.preventDefault();
      $("find").click();
    }
  });
  addCriterion();

  /** A value typed by a person, encoded for the field's type; what is not understood is sent as it
   *  is, so that the API's message explains it next to the criterion. */
  function encode(type, raw) {
    const text = raw.trim();
    if (type === "Integer" && /^-?\d+$/.test(text)) return `[I:${text}]`;
    if (type === "Double" && /^-?\d+([.,]\d+)?$/.test(text)) return `[F:${text.replace(",", ".")}]`;
    const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (type === "Datetime" && date) return `[DT:${date[2]}/${date[3]}/${date[1]} 00:00:00.0000000]`;
    return type === "Text" ? raw : text;
  }

  /** The criteria to send; a criterion without a value is left out. Each sent one's error box is
   *  named after its place in the request, where the API's messages point. */
  function restrictions() {
    const sent = [];
    for (const row of criteria.children) {
      const option = part(row, "field").selectedOptions[0];
      const type = option.dataset.type;
      const operator = part(row, "operator").value;
      const first = part(row, "value").value;
      let values;
      if (type === "Checkbox") values = [part(row, "bool").value];
      else if (operator === "between") values = [encode(type, first), encode(type, part(row, "value2").value)];
      else if (operator === "oneof" || operator === "notoneof") {
        values = first.split(",").map((v) => v.trim()).filter((v) => v);
      } else values = [encode(type, first)];
      const errors = part(row, "errors");
      if (type !== "Checkbox" && values.every((v) => !v.trim())) {
        delete errors.dataset.errorFor;
        continue;
      }
      errors.dataset.errorFor = `Restrictions.${sent.length}`;
      sent.push({ FieldKey: option.value, Operator: operator, Values: values });
    }
    return sent;
  }

  // --- step 2: find and select ------------------------------------------------------------------
  const step2 = $("step-2");
  const resultsTable = $("results-table");
  const selectAll = $("select-all-results");
  const NAME_KEYS = new Set(["NAME", "FIRSTNAME", "LASTNAME"]);
  const resultBoxes = () => [...resultsTable.tBodies[0].querySelectorAll('input[type="checkbox"]')];

  function renderResults(data) {
    const head = resultsTable.tHead.rows[0];
    head.querySelectorAll("[data-column]").forEach((th) => th.remove());
    const before = head.querySelector("[data-columns-before]");
    for (const column of data.Columns) {
      before.before(el("th", { scope: "col", textContent: column.DisplayName || column.FieldKey, dataset: { column: "1" } }));
    }
    const body = resultsTable.tBodies[0];
    const nameColumns = data.Columns.map((c, i) => (NAME_KEYS.has(c.FieldKey) ? i : -1)).filter((i) => i >= 0);
    body.replaceChildren(
      ...data.Actors.map((actor, index) => {
        const name = nameColumns.map((i) => actor.Values[i]).filter((v) => v).join(" ") || actor.ErpKey;
        const box = el("input", { type: "checkbox", id: `result-${index}`, value: actor.ErpKey });
        const label = el("label", { htmlFor: box.id, className: "visually-hidden", textContent: fill(texts.selectRow, { name }) });
        const status = actor.Linked ? el("span", { className: "badge", textContent: texts.linked }) : "";
        return el(
          "tr", {},
          el("td", {}, box, label),
          ...actor.Values.map((v) => el("td", { textContent: v })),
          el("td", { textContent: actor.ErpKey }),
          el("td", {}, status),
        );
      }),
    );
    selectAll.checked = selectAll.indeterminate = false;
    $("found-count").textContent = !data.Actors.length
      ? texts.noneFound
      : fill(data.More ? texts.foundMore : texts.found, { count: number(data.Actors.length) });
    $("search-results").hidden = false;
  }

  $("find").addEventListener("click", async () => {
    erpsync.clearErrors(step2);
    const button = $("find");
    button.disabled = true;
    const reply = await erpsync.agent("SearchImportActors", {
      ErpConnectionId: connectionId, ErpActorType: actorType, Restrictions: restrictions(), Limit: 200,
    });
    button.disabled = false;
    if (!reply.ok) return erpsync.showErrors(step2, reply.data);
    renderResults(reply.data);
  });

  selectAll.addEventListener("change", () => resultBoxes().forEach((b) => { b.checked = selectAll.checked; }));
  resultsTable.tBodies[0].addEventListener("change", () => {
    const checked = resultBoxes().filter((b) => b.checked).length;
    selectAll.checked = checked > 0 && checked === resultBoxes().length;
    selectAll.indeterminate = checked > 0 && checked < resultBoxes().length;
    if (checked) $("choose-selected").checked = true;
  });

  let selection = null;
  wizard.querySelector('[data-next="3"]').addEventListener("click", () => {
    erpsync.clearErrors(step2);
    const mode = step2.querySelector('input[name="Choose"]:checked').value;
    if (mode === "selected") {
      const keys = resultBoxes().filter((b) => b.checked).map((b) => b.value);
      if (!keys.length) return erpsync.showErrors(step2, { detail: texts.noneSelected });
      selection = { ErpKeys: keys };
    } else if (mode === "criteria") {
      const checked = restrictions();
      if (!checked.length) return erpsync.showErrors(step2, { detail: texts.noCriteria });
      selection = { Restrictions: checked };
    } else selection = { AllActors: true };
    show(3);
  });

  // --- step 3: duplicates -----------------------------------------------------------------------
  const settingsForm = $("settings-form");
  function fitMatch() {
    const match = settingsForm.elements.Match.value;
    $("id-field-row").hidden = match !== "id";
    $("action-fieldset").disabled = match === "none";
  }
  settingsForm.elements.Match.addEventListener("change", fitMatch);
  fitMatch();

  let settings = null;
  let previewRows = [];
  const request = (more) => ({ ErpConnectionId: connectionId, ErpActorType: actorType, ...selection, ...settings, ...more });

  settingsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    erpsync.clearErrors(settingsForm);
    const match = settingsForm.elements.Match.value;
    settings = {
      Match: match,
      Action: settingsForm.elements.Action.value,
      IdField: match === "id" ? settingsForm.elements.IdField.value : "",
    };
    const submit = settingsForm.querySelector('[type="submit"]');
    submit.disabled = true;
    const reply = await erpsync.agent("PreviewImport", request({ Limit: 1000 }));
    submit.disabled = false;
    if (!reply.ok) return erpsync.showErrors(settingsForm, reply.data);
    renderPreview(reply.data);
    show(4);
  });

  // --- step 4: the preview ----------------------------------------------------------------------
  const IMPORTABLE = new Set(["new", "update", "no_change"]);
  const recordLink = (id, name) =>
    el("a", { href: `/crm/${PAGE_PLURAL[entity]}/${id}`, textContent: name || fill(texts.record[entity], { id }) });

  function renderPreview(data) {
    for (const [key, value] of Object.entries(data.Counts)) {
      const cell = wizard.querySelector(`[data-count="${key}"]`);
      if (cell) cell.textContent = number(value);
    }
    $("preview-more").hidden = !data.More;
    previewRows = data.Rows;
    const body = $("preview-table").tBodies[0];
    body.replaceChildren(
      ...data.Rows.map((row, index) => {
        const importable = IMPORTABLE.has(row.Action);
        const box = el("input", { type: "checkbox", id: `preview-${index}`, value: row.ErpKey, checked: importable, disabled: !importable });
        const label = el("label", { htmlFor: box.id, className: "visually-hidden", textContent: fill(texts.importRow, { name: row.DisplayName || row.ErpKey }) });
        const changes = el("ul", { className: "changes" },
          ...row.Changes.map((c) => el("li", { textContent: `${c.DisplayName}: ${c.OldValue ? c.OldValue + " → " : ""}${c.NewValue}` })));
        const notes = [row.Reason, ...row.Warnings].filter((n) => n);
        const badge = row.Action === "error" ? "badge error" : row.Action === "new" ? "badge ok" : "badge";
        return el(
          "tr", { className: importable ? "" : "not-importable", dataset: { testid: "preview-row" } },
          el("td", {}, box, label),
          el("td", {}, el("span", { className: badge, textContent: texts.actions[row.Action] || row.Action })),
          el("td", { textContent: row.DisplayName }),
          el("td", { textContent: row.ErpKey }),
          el("td", {}, row.CrmRecordId ? recordLink(row.CrmRecordId) : ""),
          el("td", {}, row.Changes.length ? changes : ""),
          el("td", { className: "row-note", textContent: notes.join(" ") }),
        );
      }),
    );
  }

  // --- step 5: import and its result ------------------------------------------------------------
  const step4 = $("step-4");
  runButton.addEventListener("click", async () => {
    erpsync.clearErrors(step4);
    const excluded = [...$("preview-table").tBodies[0].querySelectorAll('input[type="checkbox"]')]
      .filter((b) => !b.disabled && !b.checked)
      .map((b) => b.value);
    runButton.disabled = true;
    $("import-busy").hidden = false;
    const reply = await erpsync.agent("ImportFromErp", request({ ExcludedKeys: excluded }));
    $("import-busy").hidden = true;
    runButton.disabled = false;
    if (!reply.ok) {
      erpsync.showErrors(step4, reply.data);
      if (reply.status === 409) {
        const status = await erpsync.agent("GetEngineStatus");
        if (status.ok) engineIsOn(status.data.IsRunning);
      }
      return;
    }
    renderResult(reply.data);
    show(5);
  });

  const MAX_LISTED = 50;
  const nameOf = (record) => [record.name, record.first_name, record.last_name].filter((v) => v).join(" ");

  function fillList(key, items, render) {
    const box = wizard.querySelector(`[data-list="${key}"]`);
    box.querySelector("[data-list-count]").textContent = number(items.length);
    const list = box.querySelector("ul");
    list.replaceChildren(...items.slice(0, MAX_LISTED).map((item) => el("li", {}, render(item))));
    if (items.length > MAX_LISTED) list.append(el("li", { textContent: fill(texts.moreItems, { count: number(items.length - MAX_LISTED) }) }));
  }

  /** Record ids as links, named once the records are read (the first MAX_LISTED of each list). */
  function fillRecords(key, ids) {
    fillList(key, ids, (id) => {
      const link = recordLink(id);
      erpsync.request("GET", `/api/v1/${API_PLURAL[entity]}/${id}`).then((reply) => {
        if (reply.ok && nameOf(reply.data)) link.textContent = nameOf(reply.data);
      });
      return link;
    });
  }

  function renderResult(data) {
    const names = Object.fromEntries(previewRows.map((row) => [row.ErpKey, row.DisplayName]));
    const reasoned = (item) => `${names[item.ErpKey] ? names[item.ErpKey] + " (" + item.ErpKey + ")" : item.ErpKey}: ${item.Reason}`;
    wizard.querySelector("[data-updated-label]").textContent = texts.updated[settings.Action];
    fillRecords("created", data.Created);
    fillRecords("updated", data.Updated);
    fillRecords("unchanged", data.Unchanged);
    fillList("skipped", data.Skipped, reasoned);
    fillList("errors", data.Errors, reasoned);
    $("import-stopped").textContent = data.Stopped;
    $("import-stopped").hidden = !data.Stopped;
    const warnings = $("import-warnings");
    const said = data.Warnings === 1 ? warnings.dataset.textOne : warnings.dataset.textOther;
    warnings.querySelector("[data-warning-text]").textContent = fill(said, { count: number(data.Warnings) });
    warnings.hidden = !data.Warnings;
  }
})();
