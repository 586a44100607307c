// The Oretrace console: a view of documented API routes, nothing more. The access token lives in
// this closure only (never in storage or a cookie): reloading the page signs out.
"use strict";

(() => {
  const MINERALS = ["gold", "silver", "platinum", "palladium", "tin", "tantalum", "tungsten",
    "cobalt", "copper", "lithium", "nickel", "graphite", "manganese", "mica", "zinc", "aluminium",
    "rare_earth_elements"];
  const CASE_STATUSES = ["open", "under_review", "mitigating", "resolved", "accepted_risk",
    "escalated", "disengaged"];
  let token = null;

  const $ = (id) => document.getElementById(id);
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  };
  const thisYear = () => new Date().getUTCFullYear();

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  async function problemOf(response) {
    try {
      const problem = await response.json();
      return `${problem.title || response.status}: ${problem.detail || ""}`;
    } catch (_) {
      return `HTTP ${response.status}`;
    }
  }

  // One call of the API with the token; the answer as JSON (or text for other media types).
  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Authorization: `Bearer ${token}` }, opts.headers || {});
    const response = await fetch(path, Object.assign({}, opts, { headers }));
    if (!response.ok) {
      const message = await problemOf(response);
      showError(message);
      throw new Error(message);
    }
    showError("");
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  // An SVG drawn by the server, parsed as SVG (never as HTML) and placed in `figure`.
  function placeSvg(figure, text) {
    figure.replaceChildren();
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    if (doc.documentElement.nodeName !== "svg") return;
    figure.appendChild(document.importNode(doc.documentElement, true));
  }

  function fillSelect(select, values, blank) {
    select.replaceChildren();
    if (blank) select.appendChild(el("option", blank, { value: "" }));
    for (const v of values) select.appendChild(el("option", v, { value: v }));
  }

  function table(headers, rows) {
    const t = el("table");
    const head = el("tr");
    headers.forEach((h) => head.appendChild(el("th", h)));
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    for (const row of rows) {
      const tr = el("tr");
      row.forEach((cell) => tr.appendChild(el("td", cell)));
      body.appendChild(tr);
    }
    return t;
  }

  // Screens.
  const screens = {
    dashboard: showMix,
    flags: showFlags,
    trace: loadPurchases,
    certificates: () => {},
    report: () => {},
  };

  function open(name) {
    document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== name; });
    document.querySelectorAll("nav button[data-screen]").forEach((b) => {
      if (b.dataset.screen === name) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    });
    showError("");
    const load = screens[name];
    if (load) Promise.resolve(load()).catch(() => {});
  }

  async function signIn(event) {
    event.preventDefault();
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: $("client-id").value.trim(),
      client_secret: $("client-secret").value,
    });
    const response = await fetch("/v1/auth/token", { method: "POST", body: form });
    if (!response.ok) {
      showError(await problemOf(response));
      return;
    }
    token = (await response.json()).access_token;
    $("client-secret").value = "";
    $("nav").hidden = false;
    open("dashboard");
  }

  function signOut() {
    token = null;
    $("nav").hidden = true;
    document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== "sign-in"; });
  }

  async function showMix(event) {
    if (event) event.preventDefault();
    const year = $("mix-year").value || thisYear();
    const mineral = $("mix-mineral").value;
    const query = `from=${year}-01-01&to=${year}-12-31${mineral ? `&mineral=${mineral}` : ""}`;
    const mix = await api(`/v1/sourcing-mix?${query}`);
    const summary = $("mix-summary");
    summary.replaceChildren(
      el("p", `Total ${mix.overall.total} ${mix.unit}, certified ${mix.overall.certified} ${mix.unit} (${(Number(mix.overall.certified_share.value) * 100).toFixed(1)} %).`),
      table(["Origin class", `Quantity (${mix.unit})`, "Share", "Certified share"],
        mix.overall.classes.map((c) => [c.origin_class, c.quantity, c.share.value, c.certified_share.value])),
      table(["Target", "Share", "Actual", "Outcome"],
        mix.targets.map((t) => [`${t.mineral || "all"} ${t.metric} ${t.comparison}`, t.share, t.actual.value, t.met ? "met" : "missed"])),
    );
    const chart = await api(`/v1/sourcing-mix?${query}&group_by=month`, { headers: { Accept: "image/svg+xml" } });
    placeSvg($("mix-chart"), chart);
  }

  async function showFlags(event) {
    if (event) event.preventDefault();
    const status = $("flags-status").value;
    const page = await api(`/v1/red-flags?limit=200${status ? `&case_status=${status}` : ""}`);
    const body = $("flags-table").querySelector("tbody");
    body.replaceChildren();
    for (const f of page.items) {
      const tr = el("tr", null, { "data-id": f.id });
      [f.purchased_on, f.kind, f.severity, f.message, f.case.status]
        .forEach((cell) => tr.appendChild(el("td", cell)));
      tr.addEventListener("click", () => showFlag(f.id).catch(() => {}));
      body.appendChild(tr);
    }
    $("flag-detail").hidden = true;
  }

  async function showFlag(id) {
    const flag = await api(`/v1/red-flags/${encodeURIComponent(id)}`);
    document.querySelectorAll("#flags-table tbody tr").forEach((tr) => {
      tr.setAttribute("aria-selected", String(tr.dataset.id === id));
    });
    const detail = $("flag-detail");
    detail.dataset.id = id;
    $("flag-title").textContent = `${flag.kind} (${flag.severity}), purchase of ${flag.purchased_on || "?"}`;
    $("flag-message").textContent = flag.message;
    $("case-status").value = flag.case.status === "cleared" ? "open" : flag.case.status;
    $("case-assignee").value = flag.case.assignee || "";
    $("case-due").value = flag.case.due_date || "";
    $("case-plan").value = flag.case.mitigation_plan || "";
    $("case-note").value = "";
    const history = $("case-history");
    history.replaceChildren();
    for (const e of flag.entries) {
      history.appendChild(el("li", `${e.at.slice(0, 10)} ${e.kind}: ${e.text}`));
    }
    detail.hidden = false;
  }

  async function saveCase(event) {
    event.preventDefault();
    const id = $("flag-detail").dataset.id;
    const patch = {
      status: $("case-status").value,
      assignee: $("case-assignee").value.trim() || null,
      due_date: $("case-due").value || null,
      mitigation_plan: $("case-plan").value.trim() || null,
    };
    const note = $("case-note").value.trim();
    if (note) patch.note = note;
    await api(`/v1/red-flags/${encodeURIComponent(id)}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify(patch),
    });
    await showFlags();
    await showFlag(id);
  }

  async function loadPurchases() {
    const page = await api("/v1/purchases?limit=500");
    const traced = page.items.filter((p) => p.lot_id);
    const select = $("trace-purchase");
    select.replaceChildren();
    for (const p of traced) {
      select.appendChild(el("option", `${p.external_ref} (${p.mineral}, ${p.purchased_on})`, { value: p.id }));
    }
  }

  async function showTrace(event) {
    event.preventDefault();
    const id = $("trace-purchase").value;
    if (!id) return;
    const trace = await api(`/v1/purchases/${encodeURIComponent(id)}/provenance`);
    $("trace-summary").replaceChildren(
      table(["Mine of origin", "Scale", "Country", `Quantity (${trace.unit})`, "Share", "Certified"],
        trace.origins.map((o) => [o.facility_name, o.mining_scale, o.country, o.quantity, o.share.value, o.certification.certified ? "yes" : "no"])),
      table(["Red flag", "Severity", "Finding"], trace.red_flags.map((f) => [f.kind, f.severity, f.message])),
    );
    const chart = await api(`/v1/purchases/${encodeURIComponent(id)}/provenance`, { headers: { Accept: "image/svg+xml" } });
    placeSvg($("trace-chart"), chart);
  }

  async function lookUp(event) {
    event.preventDefault();
    const q = $("cert-query").value.trim();
    const path = /^CID\d{6}$/i.test(q)
      ? `/v1/facilities?identifier=rmi_cid:${q.toUpperCase()}`
      : `/v1/facilities?q=${encodeURIComponent(q)}`;
    const facilities = (await api(path)).items;
    const results = $("cert-results");
    results.replaceChildren();
    if (facilities.length === 0) results.appendChild(el("p", "No facility found."));
    for (const f of facilities.slice(0, 20)) {
      const standing = (await api(`/v1/facilities/${f.id}/certifications`)).items;
      results.appendChild(el("h3", `${f.name} (${f.kind}, ${f.country})`));
      results.appendChild(table(["Scheme", "Level", "Status today", "Valid until"],
        standing.map((s) => [s.certification.scheme, s.level || "", s.effective_status, s.valid_until || ""])));
    }
  }

  let reportUrl = null;
  async function prepareReport(event) {
    event.preventDefault();
    const year = $("report-year").value || thisYear();
    const mineral = $("report-mineral").value;
    const query = `year=${year}${mineral ? `&mineral=${mineral}` : ""}`;
    const report = await api(`/v1/reports/due-diligence?${query}`);
    const missed = report.mix.targets.filter((t) => !t.met).length;
    $("report-summary").replaceChildren(table(["Part", "Figure"], [
      ["Purchased", `${report.mix.overall.total} ${report.mix.unit}`],
      ["Certified share", report.mix.overall.certified_share.value],
      ["Targets missed", String(missed)],
      ["Smelters and refiners", String(report.smelters.length)],
      ["Red flags", String(report.red_flags.length)],
      ["Suppliers declared", `${report.declarations.suppliers_declared} of ${report.declarations.suppliers_total}`],
    ]));
    const html = await api(`/v1/reports/due-diligence?${query}`, { headers: { Accept: "text/html" } });
    if (reportUrl) URL.revokeObjectURL(reportUrl);
    reportUrl = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    const link = $("report-link");
    link.href = reportUrl;
    link.download = `due-diligence-${year}${mineral ? `-${mineral}` : ""}.html`;
    link.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    fillSelect($("mix-mineral"), MINERALS, "all minerals");
    fillSelect($("report-mineral"), MINERALS, "all minerals");
    fillSelect($("flags-status"), CASE_STATUSES.concat(["cleared"]), "any");
    fillSelect($("case-status"), CASE_STATUSES);
    $("mix-year").value = thisYear();
    $("report-year").value = thisYear();
    $("sign-in-form").addEventListener("submit", (e) => signIn(e).catch((err) => showError(String(err))));
    $("sign-out").addEventListener("click", signOut);
    document.querySelectorAll("nav button[data-screen]").forEach((b) => {
      b.addEventListener("click", () => open(b.dataset.screen));
    });
    const guard = (handler) => (e) => handler(e).catch(() => {});
    $("mix-form").addEventListener("submit", guard(showMix));
    $("flags-form").addEventListener("submit", guard(showFlags));
    $("case-form").addEventListener("submit", guard(saveCase));
    $("trace-form").addEventListener("submit", guard(showTrace));
    $("cert-form").addEventListener("submit", guard(lookUp));
    $("report-form").addEventListener("submit", guard(prepareReport));
  });
})();
