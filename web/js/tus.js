// Resumable uploads for large files: the tus 1.0 protocol (docs/TUS.md) over
// XMLHttpRequest, which reports upload progress. The quota is reserved when
// the upload is created, so a file that does not fit is refused (507) before
// a byte is sent; each chunk that fails on the way (network, 5xx, 409) is
// retried from where the server says the upload stands. Written here rather
// than taken from tus-js-client because the dashboard has no build step and
// loads nothing but its own modules; the tests also drive tus-js-client
// itself against the same server.

const VERSION = "1.0.0";
export const CHUNK = 4 * 1024 * 1024;          // below nginx's 32 MiB bound per PATCH
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];

function b64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function parseBody(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One request; resolves {status, body, offset} or rejects {network|aborted}.
function send(state, method, url, headers, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    state.xhr = xhr;
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("Tus-Resumable", VERSION);
    if (onProgress) xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded));
    xhr.addEventListener("load", () => resolve({
      status: xhr.status,
      body: parseBody(xhr.responseText),
      offset: Number(xhr.getResponseHeader("Upload-Offset")),
      location: xhr.getResponseHeader("Location"),
    }));
    xhr.addEventListener("error", () => reject({ network: true }));
    xhr.addEventListener("abort", () => reject({ aborted: true }));
    xhr.send(body);
  });
}

const retryable = (status) => status === 0 || status === 409 || (status >= 500 && status !== 507);

// Upload file with tus: headers are the API's (credential), fields the
// destination (category, subcategory, entityId). Returns {promise, abort};
// promise resolves with the upload result's data (fileId, filePath, ...) or
// rejects with {status, body} | {network} | {aborted}. Aborting terminates
// the upload, which gives its reserved space back.
export function resumableUpload(file, fields, headers, onProgress) {
  const state = { xhr: null, aborted: false, url: null };
  const meta = { filename: file.name, ...fields };
  const metadata = Object.entries(meta)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k} ${b64(String(v))}`).join(",");

  const run = async () => {
    const created = await send(state, "POST", "/api/storage/uploads",
      { ...headers, "Upload-Length": String(file.size), "Upload-Metadata": metadata });
    if (created.status !== 201) throw { status: created.status, body: created.body };
    state.url = created.location;
    let offset = 0, attempt = 0;
    for (;;) {
      const end = Math.min(offset + CHUNK, file.size);
      let res;
      try {
        res = await send(state, "PATCH", state.url,
          { ...headers, "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
          file.slice(offset, end), (loaded) => onProgress && onProgress(offset + loaded, file.size));
      } catch (e) {
        if (e.aborted) throw e;
        res = { status: 0 };
      }
      if (res.status === 200 && res.body && res.body.success) return res.body.data;
      if (res.status === 204) {
        offset = res.offset;
        attempt = 0;
        continue;
      }
      if (!retryable(res.status) || attempt >= RETRY_DELAYS.length) {
        throw res.status ? { status: res.status, body: res.body } : { network: true };
      }
      // Ask where the upload stands, then go on from there.
      await sleep(RETRY_DELAYS[attempt++]);
      if (state.aborted) throw { aborted: true };
      try {
        const h = await send(state, "HEAD", state.url, headers);
        if (h.status === 200 && Number.isFinite(h.offset)) offset = h.offset;
        else if (h.status === 404 || h.status === 410) throw { status: h.status, body: null };
      } catch (e) {
        if (e.aborted || e.status) throw e;
      }
    }
  };

  const promise = run();
  const abort = () => {
    state.aborted = true;
    if (state.xhr) state.xhr.abort();
    // Terminate it so that its reservation is released at once.
    if (state.url) {
      fetch(state.url, { method: "DELETE", headers: { ...headers, "Tus-Resumable": VERSION },
        credentials: "omit" }).catch(() => {});
    }
  };
  return { promise, abort };
}
