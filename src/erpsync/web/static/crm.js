// erpsync: the CRM screens' script — a record's form, and the ERP tab's dialogs (connect with its
// searches and value conflicts, create in ERP, sync now). Dialog contents are HTML fragments from
// the server; every action is a call of the JSON API. Texts come from the templates.
"use strict";

(() => {
  const card = document.getElementById("crm-card");
  const crmActorType = card?.dataset.actorType;
  const recordId = card ? Number(card.dataset.recordId) : 0;

  // --- the record's form --------------------------------------------------------------------------

  /** A field's value for the REST API; text that is not a number is sent as typed, so that the
   *  API names the problem next to the field. */
  function recordValue(el) {
    const raw = el.value.trim();
    switch (el.dataset.kind) {
      case "checkbox": return el.checked;
      case "integer": return raw === "" ? null : /^[+-]?\d+$/.test(raw) ? Number(raw) : raw;
      case "double": {
        if (raw === "") return null;
        const number = Number(raw.replace(",", "."));
        return Number.isFinite(number) ? number : raw;
      }
      case "date": return raw === "" ? null : raw + "T00:00:00Z";
      case "list": case "reference": return raw === "" ? null : Number(raw);
      default: return el.value;
    }
  }

  async function saveRecord(form) {
    const creating = form.dataset.creating !== undefined;
    const body = {};
    for (const el of form.querySelectorAll("[data-kind]")) {
      const value = recordValue(el);
      if (creating && (value === null || value === "" || value === false)) continue;
      body[el.name] = value;
    }
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    const reply = await erpsync.request(form.dataset.method, form.dataset.api, body);
    submit.disabled = false;
    if (!reply.ok) { showErrors(form, reply.data); return; }
    erpsync.flash(form.dataset.success);
    location.href = form.dataset.next.replace("{id}", reply.data.id);
  }

  /** erpsync.showErrors, then the first field in error gets the focus. */
  function showErrors(scope, data) {
    erpsync.showErrors(scope, data);
    (scope.querySelector('[aria-invalid="true"]') || scope.querySelector(".form-errors"))?.focus?.();
  }

  // --- ERP values ---------------------------------------------------------------------------------

  /** An input's value encoded for the connector (reference §4.4); what cannot be read is sent as
   *  typed, so that the API refuses it next to the field. */
  function encodeErp(el) {
    const raw = el.type === "checkbox" ? "" : el.value.trim();
    switch (el.dataset.fieldType) {
      case "Checkbox": return el.checked ? "[I:1]" : "[I:0]";
      case "Integer": return raw === "" ? "" : /^[+-]?\d+$/.test(raw) ? `[I:${raw}]` : raw;
      case "Double": {
        const text = raw.replace(",", ".");
        return raw === "" ? "" : /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? `[F:${text}]` : raw;
      }
      case "Datetime": {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
        return raw === "" ? "" : m ? `[DT:${m[2]}/${m[3]}/${m[1]} 00:00:00.0000000]` : raw;
      }
      case "Text": case "Password": return el.value;
      default: return raw;
    }
  }

  // --- dialogs made of server fragments -----------------------------------------------------------

  /** Put the fragment at ``url`` into ``dialog``; resolves to true when it is the dialog asked for
   *  (an error fragment or a failed load shows the explanation instead). */
  async function load(target, url) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "text/html" } });
    } catch (err) {
      target.replaceChildren(document.getElementById("dialog-load-failed").content.cloneNode(true));
      return false;
    }
    if (response.redirected && new URL(response.url).pathname === "/login") { location.reload(); return false; }
    target.innerHTML = await response.text();
    return response.ok;
  }

  const dialogs = {
    connect: () => document.getElementById("connect-dialog"),
    conflict: () => document.getElementById("conflict-dialog"),
    create: () => document.getElementById("create-dialog"),
  };

  function afterAction(form, reply) {
    if (!reply.ok) { showErrors(form, reply.data); return; }
    erpsync.flash(form.dataset.success);
    location.href = form.dataset.next;
  }

  // --- Connect to ERP: searches ---------------------------------------------------------------------

  async function openConnect(button) {
    const dialog = dialogs.connect();
    const ok = await load(dialog, button.dataset.dialogUrl);
    dialog.showModal();
    if (ok) await search(dialog.querySelector("[data-connect-root]"));
  }

  function setState(root, state, count) {
    root.querySelectorAll(".search-status [data-state]").forEach((el) => { el.hidden = true; });
    const shown = root.querySelector(`.search-status [data-state="${state}"]`);
    if (shown) shown.hidden = false;
    if (count !== undefined) root.querySelector("[data-count]").textContent = String(count);
  }

  function searchBase(root) {
    return { ErpConnectionId: Number(root.dataset.connectionId), ErpActorType: root.dataset.actorType };
  }

  async function search(root) {
    const form = root.querySelector("[data-search-form]");
    const text = form.elements.SearchText.value;
    const byParent = form.elements.ByParent && form.elements.ByParent.checked;
    const body = { ...searchBase(root), SearchText: text };
    await runSearch(root, byParent
      ? () => erpsync.agent("SearchActorByParent", { ...body, CrmRecordId: recordId, CrmActorType: crmActorType })
      : () => erpsync.agent("SearchActors", body));
  }

  async function runSearch(root, call) {
    setState(root, "searching");
    erpsync.clearErrors(root);
    root.querySelector("[data-step-error]").replaceChildren();
    const reply = await call();
    if (!reply.ok) {
      setState(root, "");
      root.querySelector("[data-results]").hidden = true;
      showErrors(root, reply.data);
      return;
    }
    showResults(root, reply.data);
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function showResults(root, data) {
    const table = root.querySelector("[data-results]");
    const head = table.tHead.rows[0];
    head.querySelectorAll("th:not([data-fixed])").forEach((th) => th.remove());
    const columns = data.Columns.length ? data.Columns : [{ DisplayName: "", FieldKey: "" }];
    for (const column of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = column.DisplayName || column.FieldKey;
      head.insertBefore(th, head.querySelector("[data-fixed]"));
    }
    const rows = data.Actors.map((actor, index) => {
      const tr = document.createElement("tr");
      const first = document.createElement("td");
      const radio = document.createElement("input");
      radio.type = "radio"; radio.name = "hit"; radio.id = `hit-${index}`; radio.value = actor.ErpKey;
      radio.disabled = actor.Linked;
      const label = document.createElement("label");
      label.htmlFor = radio.id;
      label.textContent = actor.Values[0] || actor.ErpKey;
      first.className = "hit";
      first.append(radio, label);
      tr.append(first, ...actor.Values.slice(1).map(cell), cell(actor.ErpKey));
      const status = document.createElement("td");
      if (actor.Linked) {
        const link = root.querySelector("template[data-linked]").content.firstElementChild.cloneNode(true);
        link.href = root.dataset.recordBase + actor.CrmRecordId;
        status.append(link);
        tr.classList.add("linked");
      }
      tr.append(status);
      return tr;
    });
    table.tBodies[0].replaceChildren(...rows);
    table.hidden = rows.length === 0;
    setState(root, rows.length === 0 ? "none" : data.More ? "more" : "found", rows.length);
    const connect = root.querySelector("[data-connect-selected]");
    if (connect) connect.disabled = true;
  }

  // --- the advanced search -------------------------------------------------------------------------

  let uniqueId = 0;

  /** Clone a template part, giving its labelled controls unique ids. */
  function cloneWithIds(template) {
    const part = template.content.cloneNode(true);
    uniqueId += 1;
    part.querySelectorAll("[data-id]").forEach((el) => { el.id = `c${uniqueId}-${el.dataset.id}`; });
    part.querySelectorAll("label[data-for]").forEach((el) => { el.htmlFor = `c${uniqueId}-${el.dataset.for}`; });
    return part;
  }

  function setCriterionField(criterion, form) {
    const key = criterion.querySelector("[data-criterion-field]").value;
    const template = [...form.querySelectorAll("template[data-parts-for]")].find((t) => t.dataset.partsFor === key);
    criterion.querySelector("[data-criterion-parts]").replaceChildren(cloneWithIds(template));
  }

  function addCriterion(form) {
    const fragment = cloneWithIds(form.querySelector("template[data-criterion]"));
    const criterion = fragment.firstElementChild;
    form.querySelector("[data-criteria]").append(fragment);
    setCriterionField(criterion, form);
    criterion.querySelector("[data-criterion-field]").focus();
  }

  async function toggleAdvanced(button) {
    const panel = document.getElementById(button.getAttribute("aria-controls"));
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (open && !panel.querySelector("[data-find-form]")) {
      if (await load(panel, button.dataset.findUrl)) addCriterion(panel.querySelector("[data-find-form]"));
    }
  }

  function criterionValues(criterion) {
    const operator = criterion.querySelector("[data-operator]").value;
    const [first, second] = criterion.querySelectorAll("[data-value]");
    if (first.multiple) return { operator, values: [...first.selectedOptions].map((o) => o.value) };
    const values = [encodeErp(first)];
    if (operator === "between" && second) values.push(encodeErp(second));
    return { operator, values };
  }

  async function find(form) {
    const root = form.closest("[data-connect-root]");
    const restrictions = [...form.querySelectorAll(".criterion")].map((criterion) => {
      const { operator, values } = criterionValues(criterion);
      return { FieldKey: criterion.querySelector("[data-criterion-field]").value, Operator: operator, Values: values };
    });
    await runSearch(root, () => erpsync.agent("SearchActorsAdvanced", { ...searchBase(root), Restrictions: restrictions }));
  }

  // --- connect: the value-conflict dialog, then ConnectActor -----------------------------------------

  async function connectSelected(root) {
    const hit = root.querySelector('input[name="hit"]:checked');
    if (!hit) return;
    const target = dialogs.conflict();
    const url = root.dataset.conflictsUrl + "&erp_key=" + encodeURIComponent(hit.value);
    const step = root.querySelector("[data-step-error]");
    if (!(await load(target, url))) {
      step.replaceChildren(...target.childNodes);
      step.querySelector("[data-dialog-close]")?.closest(".buttons")?.remove();
      return;
    }
    const form = target.querySelector("[data-conflict-form]");
    if (Number(form.dataset.conflicts) === 0) {
      const reply = await connect(form);
      if (!reply.ok) { step.replaceChildren(); showErrors(root, reply.data); return; }
      afterAction(form, reply);
      return;
    }
    dialogs.connect().close();
    target.showModal();
    target.querySelector('input[type="radio"]:checked, input[type="radio"]:not(:disabled)')?.focus();
  }

  function connect(form) {
    const choices = [...form.querySelectorAll("tr[data-erp-key]")].flatMap((row) => {
      const chosen = row.querySelector('input[type="radio"]:checked');
      return chosen ? [{ CrmFieldKey: row.dataset.crmKey, ErpFieldKey: row.dataset.erpKey, Source: chosen.value }] : [];
    });
    return erpsync.agent("ConnectActor", {
      ErpConnectionId: Number(form.dataset.connectionId),
      CrmRecordId: recordId,
      CrmActorType: crmActorType,
      ErpKey: form.dataset.erpKey,
      ErpActorType: form.dataset.actorType,
      FieldValues: choices,
    });
  }

  function selectAll(button) {
    const form = button.closest("[data-conflict-form]");
    form.querySelectorAll(`input[type="radio"][value="${button.dataset.selectAll}"]:not(:disabled)`)
      .forEach((radio) => { radio.checked = true; });
  }

  // --- Create in ERP -----------------------------------------------------------------------------------

  async function openCreate(root) {
    const dialog = dialogs.create();
    await load(dialog, root.dataset.createUrl);
    dialogs.connect().close();
    dialog.showModal();
  }

  function createActor(form) {
    const values = {};
    form.querySelectorAll("[data-key]").forEach((el) => { values[el.dataset.key] = encodeErp(el); });
    return erpsync.agent("CreateErpActorFromCrm", {
      ErpConnectionId: Number(form.dataset.connectionId),
      CrmEntityId: recordId,
      ErpActorType: form.dataset.actorType,
      CrmActorType: crmActorType,
      ErpFieldKeyValues: values,
    });
  }

  // --- Sync now ------------------------------------------------------------------------------------

  async function syncNow(button) {
    const result = document.querySelector("[data-sync-result]");
    button.disabled = true;
    result.className = "sync-result muted";
    result.textContent = button.dataset.busy;
    const reply = await erpsync.agent("SyncNow", { CrmActorType: crmActorType, EntityId: recordId });
    button.disabled = false;
    const data = reply.data || {};
    if (reply.ok && data.IsOk !== false) {
      erpsync.flash(data.UserExplanation || button.dataset.success);
      location.reload();
      return;
    }
    result.className = "sync-result form-errors";
    result.textContent = data.UserExplanation || erpsync.messages(data).join(" ") || button.dataset.failure;
  }

  // --- wiring ----------------------------------------------------------------------------------------

  /** Run ``action`` with the form's submit button disabled, so that a double click sends once. */
  async function busy(form, action) {
    const submit = form.querySelector('[type="submit"]');
    if (submit) submit.disabled = true;
    try { await action(); } finally { if (submit) submit.disabled = false; }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    let action = null;
    if (form.matches("[data-record-form]")) action = () => saveRecord(form);
    else if (form.matches("[data-search-form]")) action = () => search(form.closest("[data-connect-root]"));
    else if (form.matches("[data-find-form]")) action = () => find(form);
    else if (form.matches("[data-conflict-form]")) action = async () => afterAction(form, await connect(form));
    else if (form.matches("[data-create-form]")) action = async () => afterAction(form, await createActor(form));
    if (!action) return;
    event.preventDefault();
    busy(form, action);
  });

  document.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.matches("[data-connect]")) openConnect(target);
    else if (target.matches("[data-advanced-toggle]")) toggleAdvanced(target);
    else if (target.matches("[data-add-criterion]")) addCriterion(target.closest("[data-find-form]"));
    else if (target.matches("[data-remove-criterion]")) target.closest(".criterion").remove();
    else if (target.matches("[data-connect-selected]")) connectSelected(target.closest("[data-connect-root]"));
    else if (target.matches("[data-select-all]")) selectAll(target);
    else if (target.matches("[data-create-open]")) openCreate(target.closest("[data-connect-root]"));
    else if (target.matches("[data-sync-now]")) syncNow(target);
  });

  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.matches("[data-criterion-field]")) setCriterionField(el.closest(".criterion"), el.closest("[data-find-form]"));
    else if (el.matches("[data-operator]")) {
      const second = el.closest(".criterion").querySelector("[data-second]");
      if (second) second.hidden = el.value !== "between";
    } else if (el.matches('input[name="hit"]')) {
      const connect = el.closest("[data-connect-root]").querySelector("[data-connect-selected]");
      if (connect) connect.disabled = false;
    } else if (el.matches('input[name="ByParent"]')) {
      search(el.closest("[data-connect-root]"));
    }
  });

  // Double-clicking a hit connects to it, as in a grid.
  document.addEventListener("dblclick", (event) => {
    const row = event.target.closest(".search-results tbody tr:not(.linked)");
    if (!row) return;
    const radio = row.querySelector('input[name="hit"]');
    radio.checked = true;
    const root = row.closest("[data-connect-root]");
    if (root.querySelector("[data-connect-selected]")) connectSelected(root);
  });
})();
