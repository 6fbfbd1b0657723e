// The storage dashboard: credentials, then the cards, kept current after
// every upload and delete.

import { $ } from "./dom.js";
import { Api } from "./api.js";
import { explain, isAuthError } from "./messages.js";
import { readFragment, loadSession, saveSession, clearSession, normalize, listenForTokens, notifyEmbedder } from "./token.js";
import { renderUsage, renderBreakdown, renderRecent } from "./usage.js";
import { FileList } from "./files.js";
import { Uploader } from "./upload.js";

const app = {
  api: null,
  taxonomy: null,
  quota: null,
  files: null,
  uploader: null,
  generation: 0,   // bumped per credential: late answers for an old one are dropped

  status(text) {
    const region = $("status");
    clearTimeout(app.statusTimer);
    // Cleared first, so that the same sentence twice is announced twice.
    region.textContent = "";
    requestAnimationFrame(() => {
      region.textContent = text;
    });
    app.statusTimer = setTimeout(() => { region.textContent = ""; }, 15000);
  },

  fail(err, ctx = {}) {
    if (isAuthError(err)) app.authFailed(err);
    else app.status(explain(err, ctx));
  },

  authFailed(err) {
    clearSession();
    app.api = null;
    showTokenForm(explain(err));
    notifyEmbedder({ type: "coffer:token-rejected", code: err.code || null });
  },

  async refreshStats() {
    if (!app.api) return;
    const gen = app.generation;
    try {
      const s = await app.api.stats();
      if (gen !== app.generation) return;
      app.quota = s.quota;
      renderUsage(s.quota);
      renderBreakdown(s.breakdown);
      renderRecent(s.recentUploads || []);
      app.uploader.setQuota(s.quota);
    } catch (err) {
      app.fail(err, { action: "load" });
    }
  },
};

function showTokenForm(reason) {
  $("dashboard").hidden = true;
  $("identity").hidden = true;
  $("token-section").hidden = false;
  const err = $("token-error");
  err.hidden = !reason;
  err.textContent = reason || "";
  if (reason) $("token-input").setAttribute("aria-invalid", "true");
  else $("token-input").removeAttribute("aria-invalid");
  $("token-input").focus();
}

// Try a credential: whoami proves it, then everything loads.
async function start(cred) {
  const gen = ++app.generation;
  const api = new Api(cred.token, { customer: cred.customer });
  let who;
  try {
    who = await api.whoami();
  } catch (err) {
    if (gen !== app.generation) return;
    if (isAuthError(err)) {
      app.authFailed(err);
    } else {
      // Not the token's fault (service unavailable, account suspended):
      // keep it, so that "Open dashboard" or a reload tries again.
      saveSession(cred);
      showTokenForm(explain(err));
      $("token-input").value = cred.token;
    }
    return;
  }
  if (gen !== app.generation) return;
  app.api = api;
  saveSession(cred);
  $("token-input").value = "";
  $("token-section").hidden = true;
  $("dashboard").hidden = false;
  $("identity").hidden = false;
  const cust = who.customerId ? ` · customer ${who.customerId.slice(0, 8)}…` : "";
  $("identity-text").textContent = `${who.userId} (${who.role})${cust}`;
  $("identity-text").title = who.customerId || "";

  try {
    app.taxonomy = await api.taxonomy();
  } catch (err) {
    app.fail(err, { action: "load" });
    return;
  }
  if (gen !== app.generation) return;
  app.uploader.setTaxonomy(app.taxonomy);
  app.files.setTaxonomy(app.taxonomy);
  await Promise.all([app.refreshStats(), app.files.load({ first: true })]);
  if (gen === app.generation) document.body.dataset.ready = "true";
}

function boot() {
  app.files = new FileList(app);
  app.uploader = new Uploader(app);

  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = normalize($("token-input").value);
    if (!token) {
      showTokenForm("Paste the token first (a JWT or an API key starting with cof_).");
      return;
    }
    const kept = loadSession();
    start({ token, customer: kept && kept.token === token ? kept.customer : null });
  });
  $("forget-token").addEventListener("click", () => {
    app.generation++;
    clearSession();
    app.api = null;
    delete document.body.dataset.ready;
    showTokenForm(null);
    $("token-reason").textContent = "The token was forgotten. Paste one to open the dashboard again.";
  });
  listenForTokens((cred) => start(cred));

  const cred = readFragment() || loadSession();
  if (cred && cred.token) {
    start(cred);
  } else {
    showTokenForm(null);
    notifyEmbedder({ type: "coffer:ready" });
  }
}

boot();
