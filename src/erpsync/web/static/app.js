// erpsync: the small shared script of every page. Pages call the JSON API; the session cookie
// counts there only with the CSRF header, which this script adds.
"use strict";

const erpsync = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  /** Send a JSON request; resolves to {ok, status, data}. A lost session goes to the login page. */
  async function request(method, url, body) {
    const init = { method, headers: { "X-CSRF-Token": csrf(), Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      return { ok: false, status: 0, data: { detail: document.body.dataset.textUnreachable || "" } };
    }
    if (response.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return new Promise(() => {});
    }
    let data = null;
    const text = await response.text();
    if (text) { try { data = JSON.parse(text); } catch (err) { data = { detail: text }; } }
    return { ok: response.ok, status: response.status, data };
  }

  /** Call an ErpSync agent method: POST /api/v1/Agents/ErpSync/<name>. */
  const agent = (name, body) => request("POST", "/api/v1/Agents/ErpSync/" + name, body || {});

  /** A reply body's messages: the detail and each listed error. */
  function messages(data) {
    if (!data) return [];
    const out = [];
    if (data.detail) out.push(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail));
    for (const e of data.errors || []) out.push(e.message);
    if (data.ErrorMessage) out.push(data.ErrorMessage);
    return out;
  }

  function clearErrors(scope) {
    scope.querySelectorAll(".field-error[data-generated]").forEach((el) => el.remove());
    scope.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    scope.querySelectorAll(".form-errors[data-generated]").forEach((el) => el.remove());
  }

  /** Show a failed reply: each field's error next to the field (by name or data-error-for),
   *  the rest in a box at the top of ``scope``. */
  function showErrors(scope, data, fallback) {
    clearErrors(scope);
    const general = [];
    for (const e of (data && data.errors) || []) {
      const field = e.field || "";
      const target = scope.querySelector(`[data-error-for="${CSS.escape(field)}"]`)
        || scope.querySelector(`[name="${CSS.escape(field)}"]`);
      if (target && field !== "reason") {
        const note = document.createElement("div");
        note.className = "field-error"; note.dataset.generated = "1"; note.setAttribute("role", "alert");
        note.textContent = e.message;
        if (target.matches("input, select, textarea")) {
          target.setAttribute("aria-invalid", "true");
          target.insertAdjacentElement("afterend", note);
        } else target.appendChild(note);
      } else general.push(e.message);
    }
    // The reply's headline leads whatever is not shown at a field (a refusal's reasons, say).
    const placedAll = data && (data.errors || []).length && !general.length;
    if (data && data.detail && !placedAll) general.unshift(String(data.detail));
    if (!general.length && !placedAll) general.push(fallback || document.body.dataset.textFailed || "");
    if (general.length) {
      const box = document.createElement("div");
      box.className = "form-errors"; box.dataset.generated = "1"; box.setAttribute("role", "alert");
      box.textContent = general.join(" ");
      scope.prepend(box);
    }
  }

  /** The form's values as JSON: names with dots and [n] make nested objects and arrays;
   *  checkboxes give booleans, data-type="int|float|json" converts, empty data-empty="null" gives null. */
  function formJson(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.dataset.skip !== undefined) continue;
      if (el.type === "radio" && !el.checked) continue;
      let value;
      if (el.type === "checkbox") value = el.checked;
      else if (el.tagName === "SELECT" && el.multiple) value = [...el.selectedOptions].map((o) => convert(el, o.value));
      else value = convert(el, el.value);
      assign(out, el.name, value);
    }
    return out;
  }
  function convert(el, raw) {
    if (raw === "" && el.dataset.empty === "null") return null;
    switch (el.dataset.type) {
      case "int": return raw === "" ? null : parseInt(raw, 10);
      case "float": return raw === "" ? null : parseFloat(raw);
      case "json": return raw === "" ? null : JSON.parse(raw);
      case "bool": return raw === "true";
      default: return raw;
    }
  }
  function assign(target, path, value) {
    const keys = path.replace(/\]/g, "").split(/[.[]/);
    let node = target;
    keys.forEach((key, i) => {
      const last = i === keys.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]);
      if (last) node[key] = value;
      else { if (node[key] === undefined) node[key] = nextIsIndex ? [] : {}; node = node[key]; }
    });
  }

  /** Ask before something that cannot be undone; resolves to true on OK. */
  function confirm(text) {
    const dialog = document.getElementById("confirm-dialog");
    dialog.querySelector("#confirm-text").textContent = text;
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      dialog.querySelector('[value="cancel"]').focus();
    });
  }

  /** Leave a notice for the next page (shown once by the server). */
  function flash(text) {
    document.cookie = "erpsync_flash=" + encodeURIComponent(text) + "; path=/; SameSite=Lax";
  }

  function after(el, reply) {
    const then = el.dataset.then || "reload";
    if (el.dataset.success) flash(el.dataset.success);
    if (then === "reload") location.reload();
    else if (then.startsWith("redirect:")) location.href = then.slice(9).replace("{id}", reply && (reply.Id ?? reply.id ?? ""));
    else if (then === "close") el.closest("dialog")?.close();
  }

  // <form data-agent="Method"> or <form data-url="/api/v1/..." data-http-method="PATCH">: sent as JSON;
  // errors shown in the form; on success data-then decides (reload, redirect:/path, close).
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !(form.dataset.agent || form.dataset.url)) return;
    event.preventDefault();
    if (form.dataset.confirm && !(await confirm(form.dataset.confirm))) return;
    const body = formJson(form);
    const submit = form.querySelector('[type="submit"]');
    if (submit) submit.disabled = true;
    try {
      const reply = form.dataset.agent
        ? await agent(form.dataset.agent, body)
        : await request(form.dataset.httpMethod || "POST", form.dataset.url, body);
      const failed = !reply.ok || (reply.data && reply.data.IsOk === false);
      if (failed) { showErrors(form, reply.data); return; }
      clearErrors(form);
      form.dispatchEvent(new CustomEvent("erpsync:done", { detail: reply.data, bubbles: true }));
      if (!form.dataset.then || form.dataset.then !== "none") after(form, reply.data);
    } finally {
      if (submit && !form.dataset.keepDisabled) submit.disabled = false;
    }
  });

  // <button data-agent="Method" data-body='{"Id":1}' data-confirm="Sure?">: one click, one call.
  document.addEventListener("click", async (event) => {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) { document.getElementById(opener.dataset.dialogOpen)?.showModal(); return; }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) { closer.closest("dialog")?.close(); return; }
    const button = event.target.closest("button[data-agent], button[data-url]");
    if (!button || button.form?.dataset.agent) return;
    event.preventDefault();
    if (button.dataset.confirm && !(await confirm(button.dataset.confirm))) return;
    button.disabled = true;
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
    const reply = button.dataset.agent
      ? await agent(button.dataset.agent, body)
      : await request(button.dataset.httpMethod || "POST", button.dataset.url, body);
    button.disabled = false;
    const scope = button.closest("[data-error-scope]") || button.closest("section, dialog, form") || document.querySelector("main");
    if (!reply.ok || (reply.data && reply.data.IsOk === false)) { showErrors(scope, reply.data); return; }
    button.dispatchEvent(new CustomEvent("erpsync:done", { detail: reply.data, bubbles: true }));
    if (button.dataset.then !== "none") after(button, reply.data);
  });

  // The language switch sends itself when a language is chosen.
  document.addEventListener("change", (event) => {
    if (event.target.matches(".language-switch select")) event.target.form.requestSubmit();
  });

  return { request, agent, messages, showErrors, clearErrors, formJson, confirm, flash };
})();
window.erpsync = erpsync;
