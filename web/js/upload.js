// Uploads: where to (category, subcategory, entity from the taxonomy), what
// (drag and drop or the picker), one progress bar per file, and the API's
// refusals as sentences.

import { $, h, clear, option } from "./dom.js";
import { formatBytes, humanize, entityIdOk, ENTITY_ID_RULE } from "./format.js";
import { explain, isAuthError } from "./messages.js";

// Files from this size on are uploaded resumably (web/js/tus.js).
export const RESUMABLE_FROM = 8 * 1024 * 1024;

function entityLabel(category) {
  const one = category.replace(/ies$/, "y").replace(/s$/, "");
  return `${humanize(one)} ID`;
}

export class Uploader {
  // app: {api, taxonomy, quota, status(msg), authFailed(err), refreshStats(), files}
  constructor(app) {
    this.app = app;
    this.queue = [];
    this.running = false;

    $("up-category").addEventListener("change", () => this.fillSubcategories());
    $("up-entity").addEventListener("input", () => this.entityError(null));
    $("file-input").addEventListener("change", (e) => {
      const files = [...e.target.files];
      e.target.value = "";   // the same file can be chosen again
      this.add(files);
    });

    const zone = $("dropzone");
    let depth = 0;
    zone.addEventListener("dragenter", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(depth - 1, 0);
      if (!depth) zone.classList.remove("dragging");
    });
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      zone.classList.remove("dragging");
      this.add([...e.dataTransfer.files]);
    });
    // A file dropped next to the zone must not replace the page with itself.
    for (const t of ["dragover", "drop"]) {
      window.addEventListener(t, (e) => {
        if (hasFiles(e) && !zone.contains(e.target)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "none";
        }
      });
    }
  }

  setTaxonomy(taxonomy) {
    const sel = clear($("up-category"));
    for (const c of taxonomy) sel.append(option(c.category, humanize(c.category), c.category === "documents"));
    this.fillSubcategories();
  }

  setQuota(quota) {
    $("dropzone-hint").textContent = quota.maxFileSize
      ? `Up to ${formatBytes(quota.maxFileSize)} per file.`
      : "";
  }

  category() {
    return (this.app.taxonomy || []).find((c) => c.category === $("up-category").value);
  }

  fillSubcategories() {
    const cat = this.category();
    const sel = clear($("up-subcategory"));
    const rule = cat ? cat.subcategory : "forbidden";
    if (rule !== "required") sel.append(option("", "None"));
    for (const s of (cat && cat.subcategories) || []) sel.append(option(s, humanize(s)));
    sel.disabled = rule === "forbidden" || !cat.subcategories.length;
    const field = $("up-entity-field");
    field.hidden = !(cat && cat.entity);
    if (cat && cat.entity) $("up-entity-label").textContent = entityLabel(cat.category);
    this.entityError(null);
  }

  entityError(text) {
    const input = $("up-entity");
    const p = $("up-entity-error");
    p.hidden = !text;
    p.textContent = text || "";
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  // The destination as the API's form fields, or null (and a message) when
  // the form is not complete.
  fields() {
    const cat = this.category();
    if (!cat) return null;
    const f = { category: cat.category };
    if (!$("up-subcategory").disabled && $("up-subcategory").value) f.subcategory = $("up-subcategory").value;
    if (cat.entity) {
      const id = $("up-entity").value.trim();
      const label = entityLabel(cat.category);
      if (!id) {
        this.entityError(`Enter the ${label} these files belong to.`);
      } else if (!entityIdOk(id)) {
        this.entityError(`The ${label} may only contain ${ENTITY_ID_RULE}.`);
      } else {
        f.entityId = id;
      }
      if (!f.entityId) {
        this.app.status($("up-entity-error").textContent);
        $("up-entity").focus();
        return null;
      }
    }
    return f;
  }

  add(files) {
    if (!files.length) return;
    const fields = this.fields();
    if (!fields) return;
    const refused = [];
    let queued = 0;
    for (const file of files) {
      const item = this.item(file);
      $("upload-list").prepend(item.li);
      const max = this.app.quota && this.app.quota.maxFileSize;
      let why = null;
      if (file.size === 0) {
        why = explain({ code: "EMPTY_FILE" }, { name: file.name });
      } else if (max && file.size > max) {
        // Refused here rather than after sending it all.
        why = explain({ code: "FILE_TOO_LARGE", body: { maxFileSize: max } }, { name: file.name });
      }
      if (why) {
        item.fail(why);
        refused.push(why);
      } else {
        this.queue.push({ file, fields, item });
        queued++;
      }
    }
    const parts = [...refused];
    if (queued) parts.push(`Uploading ${queued} file${queued === 1 ? "" : "s"}…`);
    this.app.status(parts.join(" "));
    this.pump();
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    let uploaded = 0;
    while (this.queue.length) {
      const job = this.queue.shift();
      if (job.item.cancelled) continue;
      if (await this.send(job)) uploaded++;
    }
    this.running = false;
    if (uploaded) await Promise.all([this.app.refreshStats(), this.app.files.load({ first: true })]);
  }

  async send({ file, fields, item }) {
    item.start();
    // Large files go resumable (tus): their space is reserved before the
    // first byte, and a dropped connection costs one chunk, not the file.
    const how = file.size >= RESUMABLE_FROM ? "uploadResumable" : "upload";
    item.li.dataset.method = how === "upload" ? "plain" : "resumable";
    const { promise, abort } = this.app.api[how](file, fields, (loaded, total) => item.progress(loaded, total));
    item.abort = abort;
    try {
      const d = await promise;
      item.done(`Uploaded · ${formatBytes(d.fileSize)}`);
      this.app.status(`“${file.name}” uploaded.`);
      return true;
    } catch (err) {
      const sentence = explain(err, { name: file.name, action: "upload" });
      item.fail(sentence);
      this.app.status(sentence);
      if (isAuthError(err)) {
        for (const j of this.queue) j.item.fail("Not uploaded: sign in again first.");
        this.queue = [];
        this.app.authFailed(err);
      }
      return false;
    }
  }

  item(file) {
    const bar = h("div", {
      class: "meter meter-small", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
      "aria-valuenow": 0, "aria-label": `Upload of ${file.name}`,
    }, h("div", { class: "meter-fill" }));
    const state = h("span", { class: "upload-state" }, "Waiting");
    const btn = h("button", { type: "button", class: "btn btn-small" }, "Cancel");
    btn.setAttribute("aria-label", `Cancel upload of ${file.name}`);
    const li = h("li", { class: "upload-item", dataset: { state: "waiting" } },
      h("div", { class: "upload-head" },
        h("span", { class: "upload-name" }, file.name),
        h("span", { class: "upload-size" }, formatBytes(file.size))),
      bar, h("div", { class: "upload-foot" }, state, btn));
    const it = {
      li, cancelled: false, abort: null,
      set(st, text) {
        li.dataset.state = st;
        state.textContent = text;
      },
      start() { it.set("uploading", "Uploading… 0%"); },
      progress(loaded, total) {
        const pct = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
        bar.setAttribute("aria-valuenow", String(pct));
        bar.firstChild.style.width = `${pct}%`;
        it.set("uploading", pct < 100 ? `Uploading… ${pct}%` : "Checking…");
      },
      finish() {
        btn.textContent = "Dismiss";
        btn.setAttribute("aria-label", `Dismiss ${file.name}`);
      },
      done(text) {
        it.progress(1, 1);
        it.set("done", text);
        it.finish();
      },
      fail(text) {
        bar.hidden = true;
        it.set("error", text);
        it.finish();
      },
    };
    btn.addEventListener("click", () => {
      if (li.dataset.state === "waiting" || li.dataset.state === "uploading") {
        it.cancelled = true;
        if (it.abort) it.abort();
        else it.fail(`“${file.name}”: upload cancelled.`);
      } else {
        // Dismiss: keep the focus in the list (or on the picker).
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        (next ? next.querySelector("button") : $("file-input")).focus();
      }
    });
    return it;
  }
}

function hasFiles(e) {
  return e.dataTransfer && [...e.dataTransfer.types].includes("Files");
}
