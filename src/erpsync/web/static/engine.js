// Settings → Sync → Engine and Dead letters: the interval, Sync all, the Resync dialogs and the
// dead letters' Replay / Drop. Texts come from the page (data- attributes); results that need a
// reload to show new numbers are carried over it in sessionStorage.
"use strict";

(() => {
  const RESULT_KEY = "erpsync.engineResult";

  /** Show a result kept over the reload: a notice, or an error box. */
  function showKeptResult() {
    const box = document.getElementById("engine-result");
    const kept = sessionStorage.getItem(RESULT_KEY);
    if (!box || !kept) return;
    sessionStorage.removeItem(RESULT_KEY);
    const { ok, text } = JSON.parse(kept);
    box.textContent = text;
    box.className = "engine-result " + (ok ? "notice" : "form-errors");
    box.hidden = false;
  }

  function keepAndReload(ok, text) {
    sessionStorage.setItem(RESULT_KEY, JSON.stringify({ ok, text }));
    location.reload();
  }

  /** A PluginResponse reply: cycles ran (ok or failed) → keep its explanation and reload; refused
   *  before any cycle ran (EngineOff) or an HTTP error → errors shown in ``scope``. */
  function settle(scope, reply) {
    const data = reply.data || {};
    if (reply.ok && data.IsOk !== false) return keepAndReload(true, data.UserExplanation || "");
    if (reply.ok && data.ErrorCode !== "EngineOff") return keepAndReload(false, data.UserExplanation || "");
    erpsync.showErrors(scope, reply.ok ? { detail: data.UserExplanation } : data);
  }

  async function busy(scope, work) {
    const buttons = [...scope.querySelectorAll("button")];
    const note = scope.querySelector(".engine-busy, .resync-busy");
    buttons.forEach((b) => { b.disabled = true; });
    if (note) note.hidden = false;
    try {
      return await work();
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      if (note) note.hidden = true;
    }
  }

  // --- the interval -----------------------------------------------------------------------------
  const intervalForm = document.getElementById("interval-form");
  intervalForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const amount = intervalForm.elements.Amount.value.trim();
    const unit = parseInt(intervalForm.elements.Unit.value, 10);
    // Not a whole number: sent as it is, so that the API's own message explains it.
    const seconds = /^\d+$/.test(amount) ? parseInt(amount, 10) * unit : amount;
    const reply = await busy(intervalForm, () => erpsync.agent("ChangeEngineInterval", { Seconds: seconds }));
    if (!reply.ok) {
      erpsync.showErrors(intervalForm, reply.data);
      intervalForm.elements.Amount.setAttribute("aria-invalid", "true");
      intervalForm.elements.Amount.focus();
      return;
    }
    erpsync.flash(intervalForm.dataset.success);
    location.reload();
  });

  // --- Sync all / Force sync all ----------------------------------------------------------------
  document.querySelectorAll("[data-engine-call]").forEach((button) => {
    button.addEventListener("click", async () => {
      const scope = button.closest("section");
      erpsync.clearErrors(scope);
      const reply = await busy(scope, () => erpsync.agent(button.dataset.engineCall, {}));
      settle(scope, reply);
    });
  });

  // --- Resync dialogs ---------------------------------------------------------------------------
  function keysOf(text) {
    return text.split(/[\n,;]+/).map((k) => k.trim()).filter((k) => k);
  }

  function resyncCall(form) {
    const source = form.elements.Source.value;
    const suffix = form.elements.NoBlankValues.checked ? "NoBlankValues" : "";
    const connection = parseInt(form.dataset.connection, 10);
    if (source === "crm") return ["ForceResync" + suffix, { ErpConnectionId: 0, InternalKeyIds: [] }];
    if (form.elements.Records.value === "all") {
      return ["ForceResync" + suffix, { ErpConnectionId: connection, InternalKeyIds: [] }];
    }
    return [
      "ForceResyncExternal" + suffix,
      { ErpConnectionId: connection, ErpActorType: form.elements.ErpActorType.value,
        ExternalKeys: keysOf(form.elements.ExternalKeys.value) },
    ];
  }

  document.querySelectorAll(".resync-form").forEach((form) => {
    const records = form.querySelector("[data-source-only]");
    const follow = () => { records.disabled = form.elements.Source.value !== records.dataset.sourceOnly; };
    form.addEventListener("change", follow);
    follow();
    form.closest("dialog").addEventListener("close", () => erpsync.clearErrors(form));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      erpsync.clearErrors(form);
      const [method, body] = resyncCall(form);
      if (body.ExternalKeys && !body.ExternalKeys.length) {
        erpsync.showErrors(form, { errors: [{ field: "ExternalKeys", message: form.dataset.keysMissing }] });
        return;
      }
      const reply = await busy(form, () => erpsync.agent(method, body));
      settle(form, reply);
    });
  });

  // --- dead letters -----------------------------------------------------------------------------
  const letters = document.getElementById("dead-letters");
  if (letters) {
    const boxes = () => [...letters.querySelectorAll('input[name="letter"]')];
    const all = letters.querySelector("[data-select-all]");
    all?.addEventListener("change", () => boxes().forEach((b) => { b.checked = all.checked; }));
    letters.addEventListener("change", (event) => {
      if (event.target.name !== "letter" || !all) return;
      const checked = boxes().filter((b) => b.checked).length;
      all.checked = checked === boxes().length;
      all.indeterminate = checked > 0 && checked < boxes().length;
    });
    letters.querySelectorAll("[data-letters-action]").forEach((button) => {
      button.addEventListener("click", async () => {
        erpsync.clearErrors(letters);
        const ids = boxes().filter((b) => b.checked).map((b) => parseInt(b.value, 10));
        if (!ids.length) return erpsync.showErrors(letters, { detail: letters.dataset.noneSelected });
        const method = button.dataset.lettersAction;
        if (method === "DropDeadLetters" && !(await erpsync.confirm(letters.dataset.confirmDrop))) return;
        const reply = await busy(letters, () => erpsync.agent(method, { Ids: ids }));
        if (method === "ReplayDeadLetters") return settle(letters, reply);
        if (!reply.ok) return erpsync.showErrors(letters, reply.data);
        // English and Danish both say one thing for 1 and another for any other count.
        const done = reply.data === 1 ? button.dataset.doneOne : button.dataset.doneOther;
        const count = new Intl.NumberFormat(document.documentElement.lang || undefined).format(reply.data);
        keepAndReload(true, done.replace("{count}", count));
      });
    });
  }

  showKeptResult();
})();
