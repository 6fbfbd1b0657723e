// A fresh app that installed the @coffer/react tarball (tests/integration/
// test_clients.py builds it and serves it from its own origin). The API's
// origin and the token come in the URL fragment; window.cofferToken is the
// token getter's source, so a test can swap it for an expired one.
import { StrictMode, useEffect } from "react";
import { createRoot } from "react-dom/client";
import { StorageDashboard, useStorage, type UseStorageResult } from "@coffer/react";
import "@coffer/react/styles.css";

declare global {
  interface Window {
    cofferToken: string;
    cofferHook?: UseStorageResult;
  }
}

const params = new URLSearchParams(location.hash.slice(1));
const baseUrl = params.get("api") ?? "";
window.cofferToken = params.get("token") ?? "";
const getToken = () => window.cofferToken;

// The hook on its own, for the tests to drive (window.cofferHook).
function HookProbe() {
  const storage = useStorage({ baseUrl, getToken });
  useEffect(() => {
    window.cofferHook = storage;
  });
  return (
    <p id="probe" data-loading={String(storage.loading)} data-error={storage.error?.code ?? ""}
      data-near={String(storage.isNearLimit)} data-over={String(storage.isOverLimit)}
      data-used={storage.quota?.used ?? ""} hidden />
  );
}

// Where a test puts a large file for the hook (Playwright's setInputFiles
// hands the browser a file on disk, without copying it through the page).
function FilePick() {
  return <input id="pick" type="file" aria-label="A file for the hook" hidden />;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <HookProbe />
    <FilePick />
    <StorageDashboard baseUrl={baseUrl} getToken={getToken} category="documents"
      subcategory="leases" upgradeUrl="/upgrade" />
  </StrictMode>,
);
