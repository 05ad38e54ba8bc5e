// A form generated from a plugin's config JSON Schema (its top-level
// properties; `templates` has its own editor). Required fields are marked,
// `writeOnly` fields are password inputs that show the API's mask for a
// stored value and keep it unless retyped, defaults show as placeholders.
import { el } from "./common.js";

/** What the API shows instead of a stored secret. */
export const MASK = "********";

function kindOf(property) {
  if (Array.isArray(property.enum)) return "enum";
  if (property.type === "boolean") return "boolean";
  if (property.type === "integer" || property.type === "number") return "number";
  if (property.type === "string") return "string";
  return "json";
}

function describe(text) {
  return text ? String(text) : "";
}

/**
 * Builds the fields into `container`. `values`: the config to show (the
 * stored one with secrets masked, or the plugin's example); `secrets`: the
 * secret field names; `stored`: whether `values` is the stored config.
 */
export function buildForm(container, schema, { values = {}, secrets = [], stored = false, skip = [] }) {
  const properties = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const fields = [];
  container.replaceChildren();
  for (const [name, property] of Object.entries(properties)) {
    if (skip.includes(name)) continue;
    const kind = kindOf(property);
    const secret = property.writeOnly === true || secrets.includes(name);
    const id = `field-${name}`;
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const value = values[name];
    const hints = [];
    if (property.description) hints.push(describe(property.description));
    if (property.default !== undefined && kind !== "boolean") hints.push(`Default: ${JSON.stringify(property.default)}.`);
    if (secret) {
      hints.push(stored && value === MASK
        ? "Secret, stored encrypted. Leave ******** to keep the stored value, or type a new one."
        : "Secret: stored encrypted, never shown again.");
    }
    const describedBy = `${hintId} ${errorId}`;
    let input;
    if (kind === "boolean") {
      input = el("input", { id, type: "checkbox", name, "aria-describedby": describedBy });
      input.checked = value === undefined ? property.default === true : value === true;
    } else if (kind === "enum") {
      input = el("select", { id, name, "aria-describedby": describedBy, required: required.has(name) },
        required.has(name) ? null : el("option", { value: "", text: "(not set)" }),
        property.enum.map((option) => el("option", { value: JSON.stringify(option), text: String(option) })));
      if (value !== undefined) input.value = JSON.stringify(value);
    } else if (kind === "json") {
      input = el("textarea", { id, name, class: "json", rows: 4, spellcheck: "false", "aria-describedby": describedBy });
      input.value = value === undefined ? "" : JSON.stringify(value, null, 2);
      hints.push("JSON.");
    } else {
      input = el("input", {
        id, name,
        type: secret ? "password" : kind === "number" ? "number" : "text",
        autocomplete: secret ? "new-password" : "off",
        spellcheck: "false",
        "aria-describedby": describedBy,
        required: required.has(name),
      });
      if (kind === "number" && property.type === "integer") input.step = "1";
      const shown = value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
      if (property.default !== undefined) input.placeholder = String(property.default);
      // An example's secret is a hint, never a value that could be saved.
      if (secret && !stored) input.placeholder = shown || input.placeholder;
      else input.value = shown;
    }
    const marker = required.has(name) ? el("span", { class: "required", text: " (required)" }) : null;
    const label = kind === "boolean"
      ? el("label", { class: "check", for: id }, input, property.title || name, marker)
      : el("label", { for: id }, property.title || name, marker);
    const hint = el("p", { class: "hint", id: hintId, text: hints.join(" ") });
    const error = el("p", { class: "field-error", id: errorId, hidden: true });
    container.append(el("div", { class: "field", "data-field": name }, label, kind === "boolean" ? null : input, hint, error));
    fields.push({ name, kind, property, input, error, required: required.has(name) });
  }
  return new SchemaForm(fields, values);
}

/** The generated form: reads a config back, shows errors next to fields. */
class SchemaForm {
  constructor(fields, base) {
    this.fields = fields;
    this.base = base;
  }

  /** The field names the form has. */
  names() {
    return this.fields.map((field) => field.name);
  }

  /** Removes every field's error. */
  clearErrors() {
    for (const field of this.fields) {
      field.error.hidden = true;
      field.error.textContent = "";
      field.input.removeAttribute("aria-invalid");
    }
  }

  /** Shows `message` next to field `name`; false if there is no such field. */
  showError(name, message) {
    const field = this.fields.find((candidate) => candidate.name === name);
    if (!field) return false;
    field.error.textContent = message;
    field.error.hidden = false;
    field.input.setAttribute("aria-invalid", "true");
    return true;
  }

  /** Focuses field `name`. */
  focus(name) {
    const field = this.fields.find((candidate) => candidate.name === name);
    if (field) field.input.focus();
  }

  /**
   * The config the form holds, on top of the loaded one (keeping fields
   * the schema does not list). Throws `{field, message}` for a value that
   * cannot be read (a number, JSON).
   */
  read() {
    const config = {};
    for (const [name, value] of Object.entries(this.base || {})) {
      if (!this.fields.some((field) => field.name === name)) config[name] = value;
    }
    for (const field of this.fields) {
      const { name, kind, input } = field;
      if (kind === "boolean") {
        config[name] = input.checked;
        continue;
      }
      const text = input.value.trim();
      if (text === "") continue;
      if (kind === "enum") config[name] = JSON.parse(text);
      else if (kind === "number") {
        const number = Number(text);
        if (!Number.isFinite(number)) throw { field: name, message: `\`${name}\` must be a number.` };
        config[name] = number;
      } else if (kind === "json") {
        try {
          config[name] = JSON.parse(text);
        } catch (error) {
          throw { field: name, message: `\`${name}\` is not valid JSON: ${error.message}` };
        }
      } else config[name] = input.value;
    }
    return config;
  }
}

/** The config field an error message names first (`accountSID` in "`accountSID` must …"). */
export function namedField(message, names) {
  for (const match of String(message || "").matchAll(/`([A-Za-z0-9_]+)(?:[.[][^`]*)?`/g)) {
    if (names.includes(match[1])) return match[1];
  }
  // The host's template check names no field: "Template with UsageType (Generic) should be provided!"
  if (names.includes("templates") && /template|usage ?type/i.test(String(message))) return "templates";
  return null;
}
