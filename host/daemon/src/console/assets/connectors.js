// Step 1 of the flow: the tenant's active SMS connector (change, edit,
// delete), or a card for every loaded plugin when none is set.
import {
  activeConnector, api, consoleUrl, currentTenant, el, plainError, plugins, say, startPage, tenantBase, when,
} from "./common.js";

const params = new URLSearchParams(location.search);

function pluginCard(plugin, active) {
  const title = `plugin-${plugin.id}`;
  const isActive = active && active.plugin === plugin.id;
  return el("li", {},
    el("article", { class: "card", "aria-labelledby": title },
      plugin.hasLogo ? el("img", { class: "logo", src: `/v1/plugins/${encodeURIComponent(plugin.id)}/logo`, alt: "" }) : null,
      el("h3", { id: title, text: plugin.name }),
      el("p", { text: plugin.description }),
      el("p", { class: "muted" }, el("code", { text: plugin.id }), ` · version ${plugin.version} · contract ${plugin.contract}`),
      el("p", { class: "actions" },
        el("a", {
          class: "button",
          href: consoleUrl("/console/setup", { plugin: plugin.id }),
          "aria-label": `${isActive ? "Edit" : "Set up"} ${plugin.name}`,
          text: isActive ? "Edit" : "Set up",
        }))));
}

function showChoices(all, active) {
  const section = document.getElementById("choose");
  const cards = document.getElementById("plugin-cards");
  cards.replaceChildren(...all.map((plugin) => pluginCard(plugin, active)));
  document.getElementById("choose-hint").textContent = active
    ? "Setting up another provider replaces the active connector when you save it; until then the active one keeps sending."
    : all.length
      ? "Pick the provider that sends your SMS. You will read its notes, fill in its settings, send a test, then save."
      : "This daemon has loaded no plugins: put connector .wasm files in its plugin folder.";
  section.hidden = false;
}

function deleteWarning(name, tenant) {
  return `Deleting ${name} stops every SMS of tenant ${tenant}: phone sign-in and sign-up, password resets by phone and MFA by SMS stop working until another connector is set up. Auth servers get "no active connector" for every code they send.`;
}

function openDelete(active, plugin) {
  const dialog = document.getElementById("delete-dialog");
  const input = document.getElementById("delete-confirm");
  const submit = document.getElementById("delete-submit");
  const error = document.getElementById("delete-error");
  const name = plugin ? plugin.name : active.plugin;
  document.getElementById("delete-title").textContent = `Delete ${name}?`;
  document.getElementById("delete-warning").textContent = deleteWarning(name, currentTenant());
  document.getElementById("delete-name").textContent = active.plugin;
  input.value = "";
  error.textContent = "";
  submit.disabled = true;
  input.oninput = () => {
    submit.disabled = input.value.trim() !== active.plugin;
  };
  document.getElementById("delete-cancel").onclick = () => dialog.close();
  document.getElementById("delete-form").onsubmit = async (event) => {
    event.preventDefault();
    if (input.value.trim() !== active.plugin) return;
    submit.disabled = true;
    try {
      const headers = active.etag ? { "If-Match": active.etag } : {};
      await api("DELETE", `${tenantBase()}/connectors/sms?confirm=${encodeURIComponent(active.plugin)}`, { headers });
      dialog.close();
      say(`Deleted ${name}. Tenant ${currentTenant()} has no SMS connector now.`, "ok");
      await render();
    } catch (failure) {
      error.textContent = plainError(failure);
      submit.disabled = false;
    }
  };
  dialog.showModal();
  input.focus();
}

function showActive(active, plugin, all) {
  const section = document.getElementById("active");
  const card = document.getElementById("active-card");
  const name = plugin ? plugin.name : active.plugin;
  const change = el("button", { type: "button", id: "change-connector", text: "Change connector" });
  change.addEventListener("click", () => {
    showChoices(all, active);
    change.setAttribute("aria-expanded", "true");
    document.getElementById("choose-title").focus();
  });
  change.setAttribute("aria-controls", "choose");
  change.setAttribute("aria-expanded", "false");
  const remove = el("button", { type: "button", class: "danger", id: "delete-connector", text: "Delete" });
  remove.addEventListener("click", () => openDelete(active, plugin));
  card.replaceChildren(
    plugin && plugin.hasLogo ? el("img", { class: "logo", src: `/v1/plugins/${encodeURIComponent(plugin.id)}/logo`, alt: "" }) : null,
    el("h3", { id: "active-name", text: name }),
    el("dl", { class: "facts" },
      el("dt", { text: "Provider" }), el("dd", {}, el("code", { text: active.plugin }),
        plugin ? ` (version ${plugin.version})` : " (its plugin is not loaded: sends fail)"),
      el("dt", { text: "Set" }), el("dd", { text: when(active.updatedAt) }),
      el("dt", { text: "By token" }), el("dd", {}, el("code", { text: active.updatedBy || "unknown" })),
      el("dt", { text: "Version" }), el("dd", { text: String(active.version) })),
    el("div", { class: "actions" },
      plugin ? el("a", { class: "button", href: consoleUrl("/console/setup", { plugin: active.plugin }), text: "Edit settings" }) : null,
      change, remove));
  section.hidden = false;
}

async function render() {
  document.getElementById("active").hidden = true;
  document.getElementById("choose").hidden = true;
  const [all, active] = await Promise.all([plugins(), activeConnector()]);
  if (active) {
    const plugin = all.find((candidate) => candidate.id === active.plugin);
    showActive(active, plugin, all);
  } else {
    if (!document.getElementById("page-status").textContent) {
      say(`Tenant ${currentTenant()} has no SMS connector: phone sign-in and SMS codes do not work yet. Choose a provider below.`);
    }
    showChoices(all, null);
  }
}

async function main() {
  await startPage();
  if (params.get("saved")) say(`Saved. ${params.get("saved")} is the active SMS connector of tenant ${currentTenant()}.`, "ok");
  try {
    await render();
  } catch (error) {
    say(plainError(error), "error");
  }
}

main();
