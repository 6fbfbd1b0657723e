// Where the bearer token comes from, and where it is (not) kept.
//
//  - the URL fragment, #token=...[&customer=UUID], read once and removed from
//    the address bar (a fragment never reaches a server or a Referer);
//  - postMessage from the embedding page (parent frame or opener), only from
//    this page's own origin or one listed in <meta name="coffer-trusted-origins">:
//      -> {type: "coffer:ready"}           the page asks for a token
//      <- {type: "coffer:token", token, customer?}
//      -> {type: "coffer:token-rejected"}  the token was refused (expired?)
//  - pasted into the sign-in form.
// It is kept in memory and in sessionStorage (this tab only, gone when the
// tab closes); never in localStorage or cookies.

const KEY = "coffer.dashboard.token";

export function readFragment(loc = window.location, hist = window.history) {
  const frag = loc.hash.startsWith("#") ? loc.hash.slice(1) : "";
  if (!frag) return null;
  const params = new URLSearchParams(frag);
  const token = params.get("token");
  if (!token) return null;
  const customer = params.get("customer");
  // Out of the address bar (and so out of the history and bookmarks).
  hist.replaceState(hist.state, "", loc.pathname + loc.search);
  return { token: normalize(token), customer: customer || null };
}

// "Bearer xyz" or " xyz\n" as pasted -> "xyz"; null when nothing usable.
export function normalize(raw) {
  if (typeof raw !== "string") return null;
  const t = raw.trim().replace(/^Bearer\s+/i, "").trim();
  if (!t || /\s/.test(t) || t.length > 8192) return null;
  return t;
}

export function loadSession() {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (!raw) return null;
    const v = JSON.parse(raw);
    return v && typeof v.token === "string" ? v : null;
  } catch {
    return null;
  }
}

export function saveSession(cred) {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify({ token: cred.token, customer: cred.customer || null }));
  } catch {
    /* storage disabled (sandboxed frame): the token lives in memory only */
  }
}

export function clearSession() {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    /* nothing stored */
  }
}

export function trustedOrigins(doc = document, loc = window.location) {
  const meta = doc.querySelector('meta[name="coffer-trusted-origins"]');
  const list = (meta ? meta.content : "").split(/\s+/).filter(Boolean);
  return new Set([loc.origin, ...list]);
}

function embedder() {
  if (window.parent && window.parent !== window) return window.parent;
  if (window.opener && !window.opener.closed) return window.opener;
  return null;
}

// Tell the embedding page something ({type: "coffer:..."}); a no-op when the
// page stands alone. Only ever to a trusted origin, never "*".
export function notifyEmbedder(message) {
  const target = embedder();
  if (!target) return;
  const trusted = trustedOrigins();
  const ancestors = window.location.ancestorOrigins;
  const origins = target === window.parent && ancestors && ancestors.length
    ? [ancestors[0]].filter((o) => trusted.has(o))
    : [...trusted];
  for (const origin of origins) {
    try {
      target.postMessage(message, origin);
    } catch {
      /* closed or cross-origin in a way postMessage refuses */
    }
  }
}

// onToken({token, customer}) for each valid token message; returns a function
// that stops listening.
export function listenForTokens(onToken) {
  const trusted = trustedOrigins();
  const handler = (event) => {
    if (!trusted.has(event.origin)) return;
    const source = event.source;
    if (source !== window.parent && source !== window.opener) return;
    const d = event.data;
    if (!d || typeof d !== "object" || d.type !== "coffer:token") return;
    const token = normalize(d.token);
    if (!token) return;
    onToken({ token, customer: typeof d.customer === "string" ? d.customer : null });
  };
  window.addEventListener("message", handler);
  return () => window.removeEventListener("message", handler);
}
