// Step 6: the tenant's send records (masked numbers, outcome, latency),
// refreshed every few seconds while the page is open.
import { api, el, plainError, say, startPage, tenantBase, when } from "./common.js";

const REFRESH_MS = 5000;
const PAGE = 50;
const $ = (id) => document.getElementById(id);
let older = null;
let timer = null;

function row(record) {
  const outcome = record.errorCode ? `${record.outcome}: ${record.errorCode}` : record.outcome;
  const cell = (label, content, attributes = {}) => el("td", { "data-label": label, ...attributes }, content);
  return el("tr", { "data-id": record.id },
    cell("Time", when(record.at)),
    cell("Usage", record.usageType),
    cell("To", record.to),
    cell("Outcome", outcome, { class: `outcome-${record.outcome}` }),
    cell("Latency", record.latencyMs === null || record.latencyMs === undefined ? "" : `${record.latencyMs} ms`),
    cell("Connector", record.connector || ""),
    cell("Provider id", record.providerMessageId || ""));
}

async function load() {
  try {
    const { data } = await api("GET", `${tenantBase()}/messages?limit=${PAGE}`);
    $("records-body").replaceChildren(...data.messages.map(row));
    older = data.nextBefore;
    $("older").hidden = !older;
    $("empty").hidden = data.messages.length > 0;
    $("updated").textContent = `${data.messages.length} shown, updated ${new Date().toLocaleTimeString()}.`;
  } catch (error) {
    say(plainError(error), "error");
  }
}

async function loadOlder() {
  if (!older) return;
  try {
    const { data } = await api("GET", `${tenantBase()}/messages?limit=${PAGE}&before=${older}`);
    $("records-body").append(...data.messages.map(row));
    older = data.nextBefore;
    $("older").hidden = !older;
  } catch (error) {
    say(plainError(error), "error");
  }
}

function schedule() {
  clearInterval(timer);
  if ($("auto-refresh").checked) timer = setInterval(load, REFRESH_MS);
}

async function main() {
  await startPage();
  $("refresh").addEventListener("click", load);
  $("older").addEventListener("click", loadOlder);
  $("auto-refresh").addEventListener("change", schedule);
  await load();
  schedule();
}

main();
