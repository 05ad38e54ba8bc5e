// Steps 2-5 of the flow for one provider: its README, the settings form
// generated from its schema, the templates as JSON with a per-usage-type
// checklist and a live preview, a test send with the unsaved settings,
// then "Save and Done".
import {
  activeConnector, api, ApiError, consoleUrl, currentTenant, el, plainError, plugins, say, startPage, tenantBase,
} from "./common.js";
import { buildForm, namedField } from "./schema-form.js";

const pluginId = new URLSearchParams(location.search).get("plugin");
const $ = (id) => document.getElementById(id);

/** The four usage types every template config must cover, with starter texts. */
const STARTERS = [
  ["SignIn", "Your sign-in code is {{code}}"],
  ["Register", "Your sign-up code is {{code}}"],
  ["ForgotPassword", "Your password reset code is {{code}}"],
  ["Generic", "Your verification code is {{code}}"],
];

/** Starter templates shaped by the schema's template entry (`content`, or its required fields). */
function starterTemplates(schema) {
  const items = schema?.properties?.templates?.items || {};
  const fields = (items.required || ["content"]).filter((name) => name !== "usageType");
  return STARTERS.map(([usageType, text]) => {
    const entry = { usageType };
    for (const field of fields) entry[field] = field === "content" ? text : "";
    return entry;
  });
}

function previewText(rendered) {
  if (!rendered) return "";
  const fields = Object.entries(rendered).filter(([name]) => name !== "usageType" && name !== "locale");
  if (fields.length === 1 && typeof fields[0][1] === "string") return fields[0][1];
  return fields.map(([name, value]) => `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`).join(" · ");
}

class TemplatesEditor {
  constructor(schema) {
    this.textarea = $("templates");
    this.error = $("field-templates-error");
    this.timer = null;
    this.sequence = 0;
    this.textarea.addEventListener("input", () => this.schedule());
    $("preview-locale").addEventListener("input", () => this.schedule());
    this.schema = schema;
  }

  set(templates) {
    this.textarea.value = JSON.stringify(templates, null, 2);
    this.refresh();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 250);
  }

  clearError() {
    this.error.hidden = true;
    this.error.textContent = "";
    this.textarea.removeAttribute("aria-invalid");
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = false;
    this.textarea.setAttribute("aria-invalid", "true");
  }

  /** The templates typed, or throws `{field: "templates", message}`. */
  read() {
    try {
      return JSON.parse(this.textarea.value);
    } catch (error) {
      throw { field: "templates", message: `The templates are not valid JSON: ${error.message}` };
    }
  }

  async refresh() {
    const sequence = ++this.sequence;
    let templates;
    try {
      templates = this.read();
      this.clearError();
    } catch (problem) {
      this.showError(problem.message);
      return;
    }
    try {
      const locale = $("preview-locale").value.trim();
      const { data } = await api("POST", "/console/api/preview", { body: { templates, locale: locale || null } });
      if (sequence !== this.sequence) return; // a newer edit is on its way
      this.render(data);
    } catch (error) {
      this.showError(plainError(error));
    }
  }

  render(data) {
    const problem = $("preview-problem");
    problem.textContent = data.problem || "";
    problem.hidden = !data.problem;
    $("preview-code").textContent = data.code;
    const items = data.usageTypes.map((usage) => {
      let state;
      let label;
      if (usage.own) {
        state = "own";
        label = usage.required ? "required, has its own template" : "has its own template";
      } else if (usage.required) {
        state = "missing";
        label = "required, missing";
      } else if (usage.rendered) {
        state = "fallback";
        label = "uses the Generic template";
      } else {
        state = "none";
        label = "no template";
      }
      const mark = { own: "✓", missing: "✗", fallback: "↳", none: "–" }[state];
      return el("li", { "data-usage": usage.usageType, "data-state": state },
        el("span", { class: "mark", "aria-hidden": "true", text: mark }),
        el("strong", { text: usage.usageType }), " ",
        el("span", { class: "state", text: `(${label})` }),
        usage.rendered ? el("div", { class: "preview", text: previewText(usage.rendered) }) : null);
    });
    $("checklist").replaceChildren(...items);
  }
}

function result(id, kind, ...content) {
  const box = $(id);
  box.dataset.kind = kind;
  box.replaceChildren(...content);
}

async function main() {
  await startPage();
  if (!pluginId) {
    say("No provider was chosen. Go back to the connector page and pick one.", "error");
    return;
  }
  const readmeCall = api("GET", `/console/api/plugins/${encodeURIComponent(pluginId)}/readme`)
    .then(({ data }) => data)
    .catch(() => ({ html: null }));
  const [all, active, readme] = await Promise.all([plugins(), activeConnector(), readmeCall]);
  const plugin = all.find((candidate) => candidate.id === pluginId);
  if (!plugin) {
    $("plugin-title").textContent = "Unknown provider";
    say(`No plugin with id ${pluginId} is loaded in this daemon.`, "error");
    $("setup-form").hidden = true;
    return;
  }
  document.title = `Set up ${plugin.name} · smshost console`;
  $("plugin-title").textContent = plugin.name;
  $("plugin-description").textContent = plugin.description;
  $("plugin-meta").textContent = `${plugin.id} · version ${plugin.version} · contract ${plugin.contract}`;
  if (plugin.hasLogo) {
    $("plugin-logo").src = `/v1/plugins/${encodeURIComponent(plugin.id)}/logo`;
    $("plugin-logo").hidden = false;
  }
  if (readme && readme.html) {
    // Rendered by the daemon from the plugin's Markdown: raw HTML made
    // text, links limited to http(s) and mailto (see console/markdown.rs).
    $("readme").innerHTML = readme.html;
  } else {
    const why = String(plugin.contract).startsWith("0.1")
      ? ` (it was built for contract ${plugin.contract}, before plugins carried one)`
      : "";
    $("readme").replaceChildren(el("p", {
      text: `${plugin.name} ships no README${why}. The settings below come from its config schema; its author's documentation says what each means.`,
    }));
  }

  const schema = plugin.configSchema || {};
  const sameActive = Boolean(active && active.plugin === plugin.id);
  const values = sameActive ? active.config : plugin.exampleConfig || {};
  $("prefill-note").textContent = sameActive
    ? "These are the stored settings. Secrets show as ******** and are kept unless you type new ones."
    : plugin.exampleConfig
      ? "Pre-filled from the plugin's example configuration: replace the example values with your own."
      : "Fill in the provider's settings.";
  $("save-hint").textContent = active && !sameActive
    ? `Saving makes ${plugin.name} the active connector of tenant ${currentTenant()}, replacing ${active.plugin}.`
    : `Saving makes these settings the active SMS connector of tenant ${currentTenant()}.`;

  const hasTemplates = Boolean(plugin.usesTemplates || schema?.properties?.templates);
  const form = buildForm($("fields"), schema, {
    values,
    secrets: plugin.secretFields || [],
    stored: sameActive,
    skip: hasTemplates ? ["templates"] : [],
  });
  const templates = hasTemplates ? new TemplatesEditor(schema) : null;
  if (templates) {
    $("templates-section").hidden = false;
    templates.set(Array.isArray(values.templates) ? values.templates : starterTemplates(schema));
  } else {
    $("test-step").textContent = "3";
    $("save-step").textContent = "4";
  }
  const fieldNames = form.names().concat(hasTemplates ? ["templates"] : []);

  function readConfig() {
    form.clearErrors();
    $("form-error").hidden = true;
    if (templates) templates.clearError();
    try {
      const config = form.read();
      if (templates) config.templates = templates.read();
      return config;
    } catch (problem) {
      showProblem(problem.field, problem.message);
      return null;
    }
  }

  function showProblem(field, message) {
    if (field === "templates" && templates) {
      templates.showError(message);
      templates.textarea.focus();
    } else if (field && form.showError(field, message)) {
      form.focus(field);
    } else {
      $("form-error").textContent = message;
      $("form-error").hidden = false;
    }
  }

  /** Shows a refused config next to the field its message names. */
  function showRefusal(error) {
    const message = plainError(error);
    if (error instanceof ApiError && ["invalid_config", "template_not_found", "invalid_body"].includes(error.code)) {
      showProblem(namedField(error.body.message, fieldNames), message);
    }
    return message;
  }

  $("test-send").addEventListener("click", async () => {
    const to = $("test-to").value.trim();
    if (!to) {
      result("test-result", "error", "Type the phone number to send the test to.");
      $("test-to").focus();
      return;
    }
    const config = readConfig();
    if (!config) {
      result("test-result", "error", "Fix the marked settings first.");
      return;
    }
    $("test-send").disabled = true;
    result("test-result", "info", "Sending…");
    try {
      const { data } = await api("POST", `${tenantBase()}/connectors/sms/test`, { body: { plugin: plugin.id, config, to } });
      const receipt = data.receipt;
      const details = [];
      if (receipt.providerMessageId) details.push(`message id ${receipt.providerMessageId}`);
      for (const [key, value] of Object.entries(receipt.summary || {})) details.push(`${key} ${value}`);
      result("test-result", "ok",
        el("strong", { text: "Sent. " }),
        `${plugin.name} accepted the test message to ${receipt.to} in ${receipt.elapsedMs} ms`,
        details.length ? ` (${details.join(", ")}).` : ".");
    } catch (error) {
      result("test-result", "error", el("strong", { text: "Not sent. " }), showRefusal(error));
    } finally {
      $("test-send").disabled = false;
    }
  });

  $("setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const config = readConfig();
    if (!config) {
      result("save-result", "error", "Not saved: fix the marked settings first.");
      return;
    }
    $("save").disabled = true;
    result("save-result", "info", "Saving…");
    try {
      const headers = active && active.etag ? { "If-Match": active.etag } : {};
      await api("PUT", `${tenantBase()}/connectors/sms`, { body: { plugin: plugin.id, config }, headers });
      location.assign(consoleUrl("/console/", { saved: plugin.name }));
    } catch (error) {
      result("save-result", "error", el("strong", { text: "Not saved. " }), showRefusal(error));
      $("save").disabled = false;
    }
  });
}

main().catch((error) => say(plainError(error), "error"));
