// Step 7: tenants. Switch the one the console works on; copy a tenant's
// configuration to another through the export and import routes, its
// secrets encrypted to a random key that lives only in this page.
import { api, consoleUrl, currentTenant, el, plainError, startPage, tenantBase, validTenant, when } from "./common.js";

const $ = (id) => document.getElementById(id);

/** A fresh 32-byte export key, as hex (`Smshost-Export-Key`). */
function oneTimeKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function tenantCard(tenant) {
  const current = tenant.id === currentTenant();
  return el("li", {},
    el("article", { class: "card", "aria-labelledby": `tenant-${tenant.id}` },
      el("h3", { id: `tenant-${tenant.id}`, text: tenant.id }),
      el("p", { class: "muted", text: `Created ${when(tenant.createdAt)}` }),
      el("p", { class: "actions" }, current
        ? el("strong", { text: "Current tenant" })
        : el("a", { class: "button", href: consoleUrl("/console/", {}, tenant.id), "aria-label": `Open tenant ${tenant.id}`, text: "Open" }))));
}

async function copy(from, to) {
  const key = oneTimeKey();
  const headers = { "Smshost-Export-Key": key };
  const { data: document_ } = await api("GET", `${tenantBase(from)}/export`, { headers });
  if (!document_.connector) throw new Error(`Tenant ${from} has no SMS connector to copy.`);
  const { data: saved } = await api("POST", `${tenantBase(to)}/import`, { body: document_, headers });
  return saved;
}

async function main() {
  const session = await startPage();
  const { data } = await api("GET", "/v1/tenants");
  const tenants = data.tenants;
  $("tenant-list").replaceChildren(...tenants.map(tenantCard));
  $("tenant-ids").replaceChildren(...tenants.map((tenant) => el("option", { value: tenant.id })));
  if (!session.admin) {
    $("tenants-hint").textContent = `This token belongs to tenant ${session.tenant}: it reaches that tenant only. Sign in with an admin token to switch or copy between tenants.`;
    return;
  }
  $("tenants-hint").textContent = "An admin token reaches every tenant. Open one to configure it.";
  $("switch-form").hidden = false;
  $("switch-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = $("switch-to").value.trim();
    if (!validTenant(wanted)) {
      $("switch-error").textContent = "A tenant id is 1-63 characters of a-z, 0-9, - and _, starting with a letter or digit.";
      $("switch-to").setAttribute("aria-invalid", "true");
      $("switch-to").focus();
      return;
    }
    location.assign(consoleUrl("/console/", {}, wanted));
  });

  $("copy-section").hidden = false;
  $("copy-from").replaceChildren(...tenants.map((tenant) => el("option", { value: tenant.id, text: tenant.id })));
  $("copy-from").value = currentTenant();
  $("copy-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const from = $("copy-from").value;
    const to = $("copy-to").value.trim();
    $("copy-error").textContent = "";
    $("copy-to").removeAttribute("aria-invalid");
    if (!validTenant(to) || to === from) {
      $("copy-error").textContent = to === from
        ? "Choose a different tenant to copy to."
        : "A tenant id is 1-63 characters of a-z, 0-9, - and _, starting with a letter or digit.";
      $("copy-to").setAttribute("aria-invalid", "true");
      $("copy-to").focus();
      return;
    }
    $("copy").disabled = true;
    const box = $("copy-result");
    box.dataset.kind = "info";
    box.textContent = "Copying…";
    try {
      const saved = await copy(from, to);
      box.dataset.kind = "ok";
      box.replaceChildren(
        el("strong", { text: "Copied. " }),
        `Tenant ${to} now uses ${saved.plugin} (version ${saved.version}), with the secrets of ${from}. `,
        el("a", { href: consoleUrl("/console/", {}, to), text: `Open ${to}` }));
    } catch (error) {
      box.dataset.kind = "error";
      box.textContent = `Not copied. ${plainError(error)}`;
    } finally {
      $("copy").disabled = false;
    }
  });
}

main();
