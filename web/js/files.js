// The file list: filters, cursor pagination, signed-link downloads and
// delete with confirmation.

import { $, h, clear, option } from "./dom.js";
import { formatBytes, formatDate, humanize, entityIdOk, ENTITY_ID_RULE } from "./format.js";
import { explain } from "./messages.js";
import { typeLabel } from "./usage.js";

export class FileList {
  // app: {api, taxonomy, status(msg), fail(err, ctx), refreshStats()}
  constructor(app) {
    this.app = app;
    this.filters = {};
    this.cursor = null;      // cursor of the page shown (null: first page)
    this.before = [];        // cursors of the pages before it
    this.nextCursor = null;
    this.files = [];
    // Download links need GET /api/storage/files/{id}/url; until a server
    // has said it knows that route, no download button is shown.
    this.downloads = "unknown";  // "unknown" | "yes" | "no"
    this.loading = null;

    $("filter-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.applyFilters();
    });
    $("filter-form").addEventListener("reset", () => {
      // After the browser has reset the fields.
      setTimeout(() => {
        this.fillSubcategories();
        $("f-entity-error").hidden = true;
        this.applyFilters();
      }, 0);
    });
    $("f-category").addEventListener("change", () => this.fillSubcategories());
    $("page-next").addEventListener("click", () => this.next());
    $("page-prev").addEventListener("click", () => this.prev());
    this.pending = null;     // the file the confirmation dialog is about
    this.opener = null;      // the button that opened it
    this.setupDialog();
  }

  setTaxonomy(taxonomy) {
    const sel = clear($("f-category"));
    sel.append(option("", "Any category"));
    for (const c of taxonomy) sel.append(option(c.category, humanize(c.category)));
    this.fillSubcategories();
  }

  fillSubcategories() {
    const cat = (this.app.taxonomy || []).find((c) => c.category === $("f-category").value);
    const sel = clear($("f-subcategory"));
    sel.append(option("", "Any subcategory"));
    for (const s of (cat && cat.subcategories) || []) sel.append(option(s, humanize(s)));
    sel.disabled = !cat || !cat.subcategories.length;
  }

  readFilters() {
    const entity = $("f-entity").value.trim();
    const err = $("f-entity-error");
    if (entity && !entityIdOk(entity)) {
      err.textContent = `The entity ID may only contain ${ENTITY_ID_RULE}.`;
      err.hidden = false;
      $("f-entity").setAttribute("aria-invalid", "true");
      $("f-entity").focus();
      return null;
    }
    err.hidden = true;
    $("f-entity").removeAttribute("aria-invalid");
    return {
      category: $("f-category").value,
      subcategory: $("f-subcategory").disabled ? "" : $("f-subcategory").value,
      entityId: entity,
      fileType: $("f-type").value,
      limit: $("f-limit").value,
    };
  }

  applyFilters() {
    const f = this.readFilters();
    if (!f) return;
    this.filters = f;
    this.cursor = null;
    this.before = [];
    this.load();
  }

  next() {
    if (!this.nextCursor) return;
    this.before.push(this.cursor);
    this.cursor = this.nextCursor;
    this.load({ focus: true });
  }

  prev() {
    if (!this.before.length) return;
    this.cursor = this.before.pop();
    this.load({ focus: true });
  }

  // Reload the page shown; `first` goes back to the first page.
  async load({ first = false, focus = false } = {}) {
    if (first) {
      this.cursor = null;
      this.before = [];
    }
    const table = $("file-table");
    table.setAttribute("aria-busy", "true");
    try {
      const page = await this.app.api.listFiles({ ...this.filters, cursor: this.cursor || undefined });
      // A page emptied by deletes: step back rather than show nothing.
      if (!page.files.length && this.before.length) {
        this.cursor = this.before.pop();
        return this.load({ focus });
      }
      this.files = page.files;
      this.nextCursor = page.nextCursor || null;
      this.render();
      if (this.downloads === "unknown" && this.files.length) this.probeDownloads(this.files[0]);
      if (focus) $("files-heading").focus();
    } catch (err) {
      if (err.code === "INVALID_CURSOR") {
        this.app.status(explain(err));
        return this.load({ first: true, focus });
      }
      this.app.fail(err, { action: "load" });
    } finally {
      table.removeAttribute("aria-busy");
    }
    return undefined;
  }

  async probeDownloads(file) {
    try {
      await this.app.api.downloadUrl(file.id);
      this.downloads = "yes";
    } catch (err) {
      // The router's answer for a route it doesn't have, as opposed to
      // FILE_NOT_FOUND for a file that went away meanwhile.
      if (err.status === 404 && err.code === "NOT_FOUND") {
        this.downloads = "no";
        this.renderNote();
      }
      return;
    }
    this.render();
  }

  renderNote() {
    const note = $("downloads-note");
    note.hidden = this.downloads !== "no";
    note.textContent = "Downloads aren't available on this server yet.";
  }

  render() {
    // Rows are rebuilt: a keyboard user's focus goes back to the same
    // button of the same file, not to the top of the page.
    const had = document.activeElement;
    const tr = had && had.closest && had.closest("#file-rows tr");
    const focusKey = tr ? [tr.dataset.id, had.textContent] : null;
    const tbody = clear($("file-rows"));
    for (const f of this.files) tbody.append(this.row(f));
    if (focusKey) {
      const again = [...tbody.querySelectorAll("tr")].find((r) => r.dataset.id === focusKey[0]);
      const btn = again && [...again.querySelectorAll("button")].find((b) => b.textContent === focusKey[1]);
      if (btn) btn.focus();
    }
    const filtered = ["category", "subcategory", "entityId", "fileType"].some((k) => this.filters[k]);
    $("files-empty").hidden = this.files.length > 0;
    $("files-empty").textContent = filtered ? "No files match these filters." : "No files yet.";
    $("file-table").hidden = this.files.length === 0;
    const page = this.before.length + 1;
    $("page-label").textContent = this.files.length || page > 1 ? `Page ${page}` : "";
    $("file-caption").textContent = `Files, page ${page}`;
    $("page-prev").disabled = this.before.length === 0;
    $("page-next").disabled = !this.nextCursor;
    $("pager").hidden = !this.before.length && !this.nextCursor;
    this.renderNote();
  }

  row(f) {
    const where = [humanize(f.category), f.entityId, f.subcategory ? humanize(f.subcategory) : null]
      .filter(Boolean).join(" › ");
    const name = f.originalName || f.id;
    const actions = h("td", { class: "actions" });
    if (this.downloads === "yes") {
      actions.append(h("button", {
        type: "button", class: "btn btn-small", "aria-label": `Download ${name}`,
        onclick: (e) => this.download(f, e.currentTarget),
      }, "Download"));
    }
    actions.append(h("button", {
      type: "button", class: "btn btn-small btn-danger-quiet", "aria-label": `Delete ${name}`,
      onclick: () => this.confirmDelete(f),
    }, "Delete"));
    return h("tr", { dataset: { id: f.id } },
      h("th", { scope: "row", class: "file-name" }, name),
      h("td", { class: "where" }, where),
      h("td", { class: "type", title: f.mimeType || "" }, typeLabel(f.fileType)),
      h("td", { class: "num" }, f.sizeFormatted || formatBytes(f.size)),
      h("td", { class: "when" },
        h("time", { datetime: f.createdAt }, formatDate(f.createdAt)),
        f.uploadedBy ? h("span", { class: "by" }, ` by ${f.uploadedBy}`) : null),
      actions);
  }

  async download(f, button) {
    const name = f.originalName || f.id;
    button.disabled = true;
    try {
      const d = await this.app.api.downloadUrl(f.id);
      const url = d && d.url;
      if (!url) throw new Error("no url");
      const a = h("a", { href: new URL(url, window.location.href).href, target: "_blank", rel: "noopener noreferrer" });
      document.body.append(a);
      a.click();
      a.remove();
      this.app.status(`Downloading “${name}”.`);
    } catch (err) {
      this.app.fail(err, { action: "download", name });
    } finally {
      button.disabled = false;
    }
  }

  // The confirmation dialog's listeners, set once. The choice is made when
  // a button is clicked, not in the dialog's close event: that event is
  // queued, and could otherwise reach a dialog that has opened again.
  setupDialog() {
    const dialog = $("confirm-dialog");
    const finish = (yes) => {
      const f = this.pending;
      this.pending = null;
      if (dialog.open) dialog.close();
      if (f && yes) this.remove(f);
      else if (this.opener && document.contains(this.opener)) this.opener.focus();
    };
    $("confirm-delete").addEventListener("click", () => finish(true));
    $("confirm-cancel").addEventListener("click", () => finish(false));
    // Escape (or any other way the browser closes it): no.
    dialog.addEventListener("close", () => {
      if (!dialog.open && this.pending) finish(false);
    });
  }

  confirmDelete(f) {
    const name = f.originalName || f.id;
    const dialog = $("confirm-dialog");
    $("confirm-title").textContent = `Delete “${name}”?`;
    $("confirm-text").textContent =
      `This frees ${f.sizeFormatted || formatBytes(f.size)}. A deleted file can't be restored.`;
    this.pending = f;
    this.opener = document.activeElement;
    if (!dialog.open) dialog.showModal();
    $("confirm-cancel").focus();
  }

  async remove(f) {
    const name = f.originalName || f.id;
    try {
      await this.app.api.deleteFile(f.id);
      this.app.status(`Deleted “${name}”; ${f.sizeFormatted || formatBytes(f.size)} freed.`);
    } catch (err) {
      this.app.fail(err, { action: "delete", name });
    }
    await Promise.all([this.app.refreshStats(), this.load({ focus: true })]);
  }
}
