// Settings → Sync, connectors and connections: the lists' actions and the connection dialog.
// Every change is a call to the ErpSync agent API; texts come from data- attributes of the page.
"use strict";

(() => {
  const { agent, showErrors, clearErrors, confirm, flash } = window.erpsync;
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all));

  // -- the lists -------------------------------------------------------------------------------------

  const connectorDialog = document.getElementById("connector-dialog");
  const connectorForm = document.getElementById("connector-form");

  function openConnectorDialog(id, name, url) {
    clearErrors(connectorForm);
    connectorForm.elements.ErpConnectorId.value = String(id);
    connectorForm.elements.DisplayName.value = name;
    connectorForm.elements.URL.value = url;
    connectorForm.querySelector('[data-role="status"]').textContent = "";
    const title = id ? connectorForm.dataset.editTitle : connectorForm.dataset.addTitle;
    document.getElementById("connector-dialog-title").textContent = title;
    connectorDialog.showModal();
    connectorForm.elements.DisplayName.focus();
  }

  /** OK in the connector dialog: the URL must answer as a sync connector before it is saved. */
  async function saveConnector(event) {
    event.preventDefault();
    const form = connectorForm;
    const status = form.querySelector('[data-role="status"]');
    const ok = form.querySelector('[type="submit"]');
    clearErrors(form);
    const body = {
      ErpConnectorId: parseInt(form.elements.ErpConnectorId.value, 10) || 0,
      DisplayName: form.elements.DisplayName.value.trim(),
      URL: form.elements.URL.value.trim(),
    };
    ok.disabled = true;
    status.textContent = form.dataset.testing;
    try {
      const tested = await agent("TestConnectorUrl", { Url: body.URL });
      if (!tested.ok) { showErrors(form, tested.data); return; }
      if (tested.data !== "NoError") {
        showErrors(form, { errors: [{ field: "URL", message: form.dataset.notFound }] });
        form.elements.URL.focus();
        return;
      }
      const saved = await agent("SaveErpSyncConnectorEntity", body);
      if (!saved.ok) {
        // A refused URL comes back as reasons; its sentence belongs next to the URL.
        const errors = (saved.data && saved.data.errors) || [];
        const refused = errors.some((e) => e.field === "reason");
        showErrors(form, refused ? { errors: [{ field: "URL", message: saved.data.detail }] } : saved.data);
        return;
      }
      flash(form.dataset.saved);
      location.reload();
    } finally {
      ok.disabled = false;
      status.textContent = "";
    }
  }

  /** A refusal in a list: the reply's sentence in a box at the top of the list's section. */
  function showRefusal(section, data) {
    showErrors(section, { detail: (data && data.detail) || "" });
  }

  async function deleteWith(button, method, body) {
    if (!(await confirm(button.dataset.confirm))) return;
    button.disabled = true;
    const reply = await agent(method, body);
    button.disabled = false;
    if (!reply.ok) { showRefusal(button.closest("section"), reply.data); return; }
    flash(button.dataset.success);
    location.reload();
  }

  /** The Active box: activation may be refused, with the reasons listed above the table. */
  async function toggleActive(box) {
    const section = box.closest("section");
    const problems = document.getElementById("activation-problems");
    const wanted = box.checked;
    const name = box.dataset.name;
    box.checked = !wanted; // stays as it is until the hub says it changed
    box.disabled = true;
    clearErrors(section);
    problems.hidden = true;
    const reply = await agent("ToggleErpConnectionActive", { ErpConnectionId: parseInt(box.dataset.toggleActive, 10) });
    box.disabled = false;
    if (!reply.ok) { showRefusal(section, reply.data); return; }
    if (reply.data.length) {
      problems.querySelector(".problems-title").textContent = fill(section.dataset.refused, { name });
      const list = problems.querySelector("ul");
      list.replaceChildren(...reply.data.map((reason) => {
        const item = document.createElement("li");
        item.textContent = reason;
        return item;
      }));
      problems.hidden = false;
      box.focus();
      return;
    }
    flash(fill(wanted ? section.dataset.activated : section.dataset.deactivated, { name }));
    location.reload();
  }

  if (connectorForm) {
    connectorForm.addEventListener("submit", saveConnector);
    document.addEventListener("click", (event) => {
      const add = event.target.closest("[data-add-connector]");
      if (add) { openConnectorDialog(0, "", ""); return; }
      const edit = event.target.closest("[data-edit-connector]");
      if (edit) { openConnectorDialog(parseInt(edit.dataset.editConnector, 10), edit.dataset.name, edit.dataset.url); return; }
      const dropConnector = event.target.closest("[data-delete-connector]");
      if (dropConnector) {
        deleteWith(dropConnector, "DeleteErpSyncConnectorEntity", { ErpConnectorId: parseInt(dropConnector.dataset.deleteConnector, 10) });
        return;
      }
      const dropConnection = event.target.closest("[data-delete-connection]");
      if (dropConnection) {
        deleteWith(dropConnection, "DeleteConnection", { ErpConnectionId: parseInt(dropConnection.dataset.deleteConnection, 10) });
      }
    });
    document.addEventListener("change", (event) => {
      if (event.target.matches("[data-toggle-active]")) toggleActive(event.target);
    });
  }

  // -- the connection dialog -------------------------------------------------------------------------

  const form = document.getElementById("connection-form");
  if (!form) return;

  const connectionId = parseInt(form.dataset.connectionId, 10) || 0;
  const locked = form.dataset.locked === "true";
  const okButton = document.getElementById("ok-button");
  const testButton = document.getElementById("test-button");
  const testResult = document.getElementById("test-result");
  const hint = document.getElementById("ok-hint");
  const container = document.getElementById("config-container");
  /** The config values (as sent) that last passed the test; an edited connection's stored values
   *  passed when they were saved. */
  let tested = null;

  const area = () => document.getElementById("config-area");
  const connectorId = () => parseInt(form.elements.ErpConnectorId.value, 10) || 0;
  const usable = () => Boolean(area()) && area().dataset.usable === "true";

  const pad = (n) => String(n).padStart(2, "0");
  /** A datetime-local value ("2024-05-01T13:45[:00]") as the wire's [DT:MM/dd/yyyy HH:mm:ss.fffffff]. */
  function encodeDatetime(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
    if (!m) return text;
    return `[DT:${m[2]}/${m[3]}/${m[1]} ${m[4]}:${m[5]}:${pad(m[6] || 0)}.0000000]`;
  }

  /** One config input's value, encoded for its field type (reference §4.4). */
  function encoded(input) {
    const value = input.value.trim();
    switch (input.dataset.fieldType) {
      case "Checkbox": return input.checked ? "[I:1]" : "[I:0]";
      case "Integer": return value === "" ? "" : `[I:${value}]`;
      case "Double": return value === "" ? "" : `[F:${value}]`;
      case "Datetime": return value === "" ? "" : encodeDatetime(value);
      case "Password": return input.value === "" && input.dataset.kept ? input.dataset.kept : input.value;
      default: return input.value;
    }
  }

  const configInputs = () => (area() ? [...area().querySelectorAll("[data-config-key]")] : []);

  function configValues() {
    const values = {};
    for (const input of configInputs()) if (!input.disabled) values[input.dataset.configKey] = encoded(input);
    return values;
  }
  const signature = () => JSON.stringify([connectorId(), configValues()]);

  function missingMandatory() {
    return configInputs()
      .filter((input) => !input.disabled && input.dataset.mandatory !== undefined && encoded(input) === "")
      .map((input) => input.dataset.label);
  }

  /** OK: enabled once the test passed for exactly the values shown and nothing mandatory is empty
   *  (reference §2.2 step 8). A locked (active) connection keeps its config, so needs no test. */
  function update() {
    let reason = "";
    const missing = missingMandatory();
    if (locked || (connectionId && !usable())) reason = "";
    else if (!connectorId()) reason = form.dataset.hintConnector;
    else if (!usable()) reason = form.dataset.hintFields;
    else if (missing.length) reason = fill(form.dataset.hintMandatory, { fields: missing.join(", ") });
    else if (tested === null) reason = form.dataset.hintTest;
    else if (tested !== signature()) reason = form.dataset.hintRetest;
    okButton.disabled = reason !== "";
    hint.textContent = reason;
    testButton.disabled = locked || !usable() || missing.length > 0;
    // A result that no longer describes the values shown is taken away.
    if (tested !== null && tested !== signature() && testResult.classList.contains("passed")) showResult("", "");
  }

  function showResult(state, text) {
    testResult.className = "test-result" + (state ? " " + state : "");
    testResult.textContent = text;
  }

  async function runTest() {
    clearErrors(form);
    showResult("", form.dataset.testing);
    testButton.disabled = true;
    const sent = signature();
    const reply = await agent("TestConnectionByConfig", {
      ErpConnectionId: connectionId,
      ErpConnectorId: connectorId(),
      ConfigFields: configValues(),
    });
    if (!reply.ok) {
      tested = null;
      showResult("", "");
      showErrors(form, reply.data);
    } else if (reply.data.IsOk) {
      tested = sent;
      const said = reply.data.UserExplanation ? " " + reply.data.UserExplanation : "";
      showResult("passed", form.dataset.testPassed + said);
    } else {
      tested = null;
      showResult("failed", form.dataset.testFailed + " " + (reply.data.UserExplanation || ""));
    }
    update();
  }

  async function chooseConnector() {
    tested = null;
    showResult("", "");
    clearErrors(form);
    const id = connectorId();
    if (!id) {
      container.replaceChildren();
      update();
      return;
    }
    container.textContent = form.dataset.loading;
    update();
    let html = null;
    try {
      const response = await fetch(`/settings/sync/connections/config-fields?connector=${id}`, { headers: { Accept: "text/html" } });
      if (response.ok) html = await response.text();
    } catch (err) { html = null; }
    if (id !== connectorId()) return; // another connector was chosen meanwhile
    if (html === null) container.textContent = form.dataset.loadFailed;
    else container.innerHTML = html; // our own server's rendering of the connector's fields
    update();
  }

  // -- scope ---------------------------------------------------------------------------------------

  const scopeTable = document.getElementById("scope-table");
  const picker = document.getElementById("scope-picker");

  function showScope() {
    const everyone = document.getElementById("scope-all").checked;
    document.getElementById("scope-details").hidden = everyone;
    const rows = scopeTable.tBodies[0].rows.length;
    scopeTable.hidden = rows === 0;
    document.getElementById("scope-empty").hidden = rows > 0;
  }

  const inScope = (kind, id) => scopeTable.querySelector(`tr[data-kind="${kind}"][data-id="${id}"]`);

  function addScopeRow(kind, id, name) {
    const row = document.getElementById(`scope-row-${kind}`).content.firstElementChild.cloneNode(true);
    row.dataset.id = id;
    for (const el of row.querySelectorAll("[id], [for], [aria-label]")) {
      for (const attribute of ["id", "for", "aria-label"]) {
        const value = el.getAttribute(attribute);
        if (value) el.setAttribute(attribute, value.replace("__ID__", () => id).replace("__NAME__", () => name));
      }
    }
    row.querySelector(".scope-name").textContent = name;
    scopeTable.tBodies[0].appendChild(row);
  }

  function openPicker() {
    for (const box of picker.querySelectorAll("input[data-kind]")) {
      const taken = Boolean(inScope(box.dataset.kind, box.dataset.id));
      box.checked = taken;
      box.disabled = taken;
    }
    picker.showModal();
    const first = picker.querySelector("input[data-kind]:not(:disabled)");
    if (first) first.focus();
  }

  function addPicked() {
    for (const box of picker.querySelectorAll("input[data-kind]:checked:not(:disabled)")) {
      addScopeRow(box.dataset.kind, box.dataset.id, box.dataset.name);
    }
    picker.close();
    showScope();
  }

  function access() {
    return [...scopeTable.tBodies[0].rows].map((row) => {
      const id = parseInt(row.dataset.id, 10);
      const entry = row.dataset.kind === "user" ? { UserId: id } : { GroupId: id };
      entry.CanConnect = row.querySelector('[data-permission="CanConnect"]').checked;
      entry.CanCreateERP = row.querySelector('[data-permission="CanCreateERP"]').checked;
      return entry;
    });
  }

  // -- saving --------------------------------------------------------------------------------------

  async function save(event) {
    event.preventDefault();
    update();
    if (okButton.disabled) return;
    clearErrors(form);
    const everyone = document.getElementById("scope-all").checked;
    const body = {
      ErpConnectionId: connectionId,
      ErpConnectorId: connectorId(),
      DisplayName: form.elements.DisplayName.value,
      DisplayDescription: form.elements.DisplayDescription.value,
      AllAccess: everyone,
      Access: everyone ? [] : access(),
      ConflictPolicy: form.elements.ConflictPolicy.value,
      NoBlankValues: form.elements.NoBlankValues.checked,
    };
    if (!locked && usable()) body.ConfigFields = configValues();
    okButton.disabled = true;
    const reply = await agent("SaveConnection", body);
    if (!reply.ok) {
      okButton.disabled = false;
      showErrors(form, reply.data);
      const first = form.querySelector('[aria-invalid="true"]') || form.querySelector(".form-errors");
      if (first) { first.scrollIntoView({ block: "center" }); if (first.matches("input, select, textarea")) first.focus(); }
      return;
    }
    flash(fill(form.dataset.saved, { name: reply.data.DisplayName }));
    location.href = "/settings/sync";
  }

  if (connectionId && usable()) tested = signature();
  form.addEventListener("submit", save);
  form.addEventListener("input", (event) => { if (container.contains(event.target)) update(); });
  form.addEventListener("change", (event) => {
    if (event.target.id === "connection-connector") chooseConnector();
    else if (event.target.name === "AllAccess") showScope();
    else if (container.contains(event.target)) update();
  });
  testButton.addEventListener("click", runTest);
  form.addEventListener("click", (event) => {
    if (event.target.closest("[data-open-picker]")) openPicker();
    const remove = event.target.closest("[data-remove-scope]");
    if (remove) {
      remove.closest("tr").remove();
      showScope();
      document.querySelector("[data-open-picker]").focus();
    }
  });
  document.getElementById("scope-picker-add").addEventListener("click", addPicked);
  update();
})();
