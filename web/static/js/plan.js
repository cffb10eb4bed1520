/* /plan — the planner's page: coverage of service circles, gaps, site suggestions and
 * organisation coverage on one map. Everything comes from /api/v1 on this server; there is no
 * base map (intranet): the page draws boundaries, grids and sites as vector layers.
 * State for tests and people: #map data-state (loading|ready|error), data-units, data-sites.
 * Text is zh-CN with English available: strings are the plan_* keys of i18n.js (I18N, shared
 * with /nearest); everything drawn from data is re-rendered when the language changes.
 */
(function () {
  "use strict";

  var I = window.I18N;
  var t = I.t;
  var C = window.MapsvcCommon;
  var h = C.h, $ = C.$, clear = C.clear, request = C.request, errorText = C.errorText;
  var metres = C.distance;
  var COLORS = { full: "#2e7d32", part: "#f2a900", none: "#c62828" };

  // writes made with the login session carry the session's CSRF token (from the page's meta tag)
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  var fmt = I.num;

  /* ------------------------------------------------------------------ map */
  var mapEl = $("#map");
  var map = L.map(mapEl, { zoomControl: true, preferCanvas: false, attributionControl: false })
    .setView([38.28, 109.73], 11);
  map.createPane("areas").style.zIndex = 350;
  map.createPane("units").style.zIndex = 360;
  map.createPane("service").style.zIndex = 380;
  var layers = {
    areas: L.layerGroup().addTo(map),
    units: L.layerGroup().addTo(map),
    serviceAreas: L.layerGroup().addTo(map),
    sites: L.layerGroup().addTo(map),
    plan: L.layerGroup().addTo(map),
    org: L.layerGroup().addTo(map)
  };
  /* Leaflet writes layer names once, so the control is rebuilt when the language changes. */
  var layerControl = null;
  function buildLayerControl() {
    if (layerControl) layerControl.remove();
    var overlays = {};
    overlays[t("plan_layerUnits")] = layers.units;
    overlays[t("plan_layerServiceAreas")] = layers.serviceAreas;
    overlays[t("plan_layerSites")] = layers.sites;
    overlays[t("plan_layerPlan")] = layers.plan;
    overlays[t("plan_layerOrg")] = layers.org;
    layerControl = L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);

  var last = { coverage: null, serviceAreas: null, plan: null, org: null, areas: null, query: "" };
  /* What the status lines say, as keys (or errors) so they can be re-rendered in another language. */
  var ui = { status: null, plan: { key: "plan_planHint" }, org: null };

  request("/api/v1/admin-areas?level=street,town&geometry=simplified").then(function (body) {
    last.areas = body.items;
    var fc = { type: "FeatureCollection", features: body.items.map(function (a) {
      return { type: "Feature", geometry: a.geometry, properties: { name: a.name, code: a.code } };
    }) };
    var g = L.geoJSON(fc, { pane: "areas", style: { color: "#555", weight: 1.2, fill: false, dashArray: "4 3" } });
    layers.areas.addLayer(g);
    map.fitBounds(g.getBounds(), { padding: [10, 10] });
  }).catch(function () { /* the analysis still works without the outline */ });

  /* ------------------------------------------------------------------ the area chooser */
  /* The areas held, two levels below the root (a city: its counties and their streets and
   * towns), from /api/v1/stats/areas; coverage, gaps, exports and org coverage ask for the
   * chosen one (area=). ?area=CODE in the address chooses one at the start. */
  function fillAreas() {
    var sel = $("#area");
    var wanted = new URLSearchParams(window.location.search).get("area");
    function option(a, depth) {
      return h("option", { value: a.code, "data-level": a.level },
               "\u3000".repeat(depth) + a.name + "（" + a.level_zh + "）");
    }
    return request("/api/v1/stats/areas").then(function (top) {
      var root = top.parent;
      sel.appendChild(option(root, 0));
      return Promise.all(top.items.map(function (c) {
        return request("/api/v1/stats/areas?parent=" + encodeURIComponent(c.code))
          .then(function (b) { return b.items; }, function () { return []; });
      })).then(function (grand) {
        top.items.slice().sort(function (a, b) { return a.code < b.code ? -1 : 1; }).forEach(function (c) {
          sel.appendChild(option(c, 1));
          var kids = grand[top.items.indexOf(c)] || [];
          kids.slice().sort(function (a, b) { return a.code < b.code ? -1 : 1; })
            .forEach(function (k) { sel.appendChild(option(k, 2)); });
        });
        if (wanted && sel.querySelector('option[value="' + wanted + '"]')) sel.value = wanted;
        mapEl.dataset.areas = String(sel.options.length - 1);
      });
    }).catch(function () { mapEl.dataset.areas = "0"; /* the whole territory still works */ });
  }
  var areasReady = fillAreas();
  $("#area").addEventListener("change", function () {
    var q = new URLSearchParams(window.location.search);
    if (this.value) q.set("area", this.value); else q.delete("area");
    history.replaceState(null, "", window.location.pathname + (q.toString() ? "?" + q : ""));
  });

  /* ------------------------------------------------------------------ parameters */
  function params() {
    var mode = document.querySelector("input[name=mode]:checked").value;
    var q = new URLSearchParams();
    q.set("facility", $("#facility").value);
    q.set("mode", mode);
    q.set("by", $("#by").value);
    if ($("#area").value) q.set("area", $("#area").value);
    if (mode === "walk") {
      if ($("#minutes").value) q.set("minutes", $("#minutes").value);
    } else if ($("#radius").value) {
      q.set("radius_m", $("#radius").value);
    }
    return q;
  }
  function syncMode() {
    var walk = document.querySelector("input[name=mode]:checked").value === "walk";
    $("#radius-row").hidden = walk;
    $("#minutes-row").hidden = !walk;
  }
  document.querySelectorAll("input[name=mode]").forEach(function (el) { el.addEventListener("change", syncMode); });

  /* what: {key, vars} or {err}; null clears the line. */
  function renderLine(el, what, baseClass) {
    el.textContent = !what ? "" : what.err ? errorText(what.err) : t(what.key, what.vars);
    el.className = baseClass + (what && what.err ? " error" : "");
  }
  function setStatus(what) {
    ui.status = what;
    renderLine($("#status"), what, "status");
  }

  /* ------------------------------------------------------------------ coverage */
  function shareClass(u) {
    if (u.covered) return "full";
    return u.covered_population > 0 || u.covered_members > 0 ? "part" : "none";
  }

  function drawUnits(fc) {
    layers.units.clearLayers();
    var g = L.geoJSON(fc, {
      pane: "units",
      style: function (f) {
        var c = COLORS[shareClass(f.properties)];
        return { color: c, weight: 0.6, fillColor: c, fillOpacity: 0.45 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(h("div", null,
          h("strong", { text: p.name }), h("br"),
          t("plan_unitTip", { pop: fmt(p.covered_population), popAll: fmt(p.population),
                              mem: fmt(p.covered_members), memAll: fmt(p.members) }), h("br"),
          t("plan_unitNearestTip", { d: metres(p.nearest_m) })), { sticky: true });
      }
    });
    layers.units.addLayer(g);
    mapEl.dataset.units = String(fc.features.length);
  }

  function drawServiceAreas(fc) {
    layers.serviceAreas.clearLayers();
    layers.sites.clearLayers();
    layers.serviceAreas.addLayer(L.geoJSON(fc, {
      pane: "service",
      style: { color: "#1a5fb4", weight: 1, fillColor: "#1a5fb4", fillOpacity: 0.06 }
    }));
    fc.features.forEach(function (f) {
      var p = f.properties;
      L.circleMarker([p.lat, p.lon], { radius: 4, color: "#fff", weight: 1, fillColor: "#b3121f", fillOpacity: 1 })
        .bindTooltip(h("span", { text: t("plan_reachTip", { name: p.name, d: t("distanceM", { n: Math.round(p.reach_m) }) }) }))
        .addTo(layers.sites);
    });
    mapEl.dataset.serviceAreas = String(fc.features.length);
  }

  function showTotals(totals, reach) {
    var dl = $("#totals");
    clear(dl);
    var pct = function (a, b) { return b ? " (" + (100 * a / b).toFixed(1) + "%)" : ""; };
    var s = totals;
    [[t("plan_tUnits"), t("plan_tUnitsValue", { covered: fmt(s.covered_units), all: fmt(s.units),
                                                 pct: pct(s.covered_units, s.units) })],
     [t("plan_tPopulation"), fmt(s.covered_population) + " / " + fmt(s.population) + pct(s.covered_population, s.population)],
     [t("plan_tMembers"), fmt(s.covered_members) + " / " + fmt(s.members) + pct(s.covered_members, s.members)],
     [t("plan_tMode"), reach.mode === "walk" ? t("plan_tModeWalk") : t("plan_tModeDistance")]
    ].forEach(function (row) {
      dl.appendChild(h("dt", { text: row[0] }));
      dl.appendChild(h("dd", { text: row[1] }));
    });
  }

  var gapKind = "grids";
  function showGaps() {
    var body = $("#gaps tbody");
    clear(body);
    if (!last.gaps) return;
    last.gaps[gapKind].forEach(function (u) {
      var tr = h("tr", { "data-code": u.code },
        h("td", { text: u.rank }), h("td", { text: u.name }),
        h("td", { class: "num", text: fmt(u.uncovered_population) }),
        h("td", { class: "num", text: fmt(u.uncovered_members) }),
        h("td", { class: "num", text: metres(u.nearest_m) }));
      tr.addEventListener("click", function () { zoomTo(u.code); });
      body.appendChild(tr);
    });
  }
  document.querySelectorAll("[data-gap]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      gapKind = tab.dataset.gap;
      document.querySelectorAll("[data-gap]").forEach(function (t) {
        t.setAttribute("aria-selected", String(t === tab));
      });
      showGaps();
    });
  });

  var gapShapes = {};
  function zoomTo(code) {
    var f = gapShapes[code];
    if (f) map.fitBounds(L.geoJSON(f).getBounds(), { maxZoom: 15 });
  }

  function analyse() {
    var q = params();
    last.query = q.toString();
    mapEl.dataset.state = "loading";
    $("#run").disabled = true;
    setStatus({ key: "plan_analysing" });
    var gq = new URLSearchParams(q); gq.delete("by"); gq.set("limit", "100"); gq.set("f", "geojson");
    var sq = new URLSearchParams(q); sq.delete("by");
    var cq = new URLSearchParams(q); cq.set("f", "geojson");
    var rq = new URLSearchParams(sq); rq.delete("area"); // the service areas are every centre's
    $("#export-xlsx").href = "/api/v1/coverage/export.xlsx?" + sq.toString();
    return Promise.all([
      request("/api/v1/coverage?" + cq.toString()),
      request("/api/v1/coverage/gaps?" + gq.toString()),
      request("/api/v1/coverage/service-areas?" + rq.toString())
    ]).then(function (res) {
      last.coverage = res[0];
      last.serviceAreas = res[2];
      gapShapes = {};
      var gaps = { grids: [], communities: [] };
      res[1].features.forEach(function (f) {
        gapShapes[f.id] = f;
        (f.properties.layer === "gap_grids" ? gaps.grids : gaps.communities).push(f.properties);
      });
      last.gaps = gaps;
      drawUnits(res[0]);
      drawServiceAreas(res[2]);
      showTotals(res[0].totals, res[0].reach);
      showGaps();
      setStatus({ key: "plan_analysed", vars: { n: res[0].features.length } });
      mapEl.dataset.state = "ready";
    }).catch(function (err) {
      setStatus({ err: err });
      mapEl.dataset.state = "error";
    }).then(function () { $("#run").disabled = false; });
  }
  $("#params").addEventListener("submit", function (ev) { ev.preventDefault(); analyse(); });

  /* ------------------------------------------------------------------ site planning */
  function plan() {
    var q = params();
    var body = { k: parseInt($("#k").value, 10), keep_existing: $("#keep").checked, candidates: "grid_centroids" };
    if (q.get("mode") === "walk") body.minutes = parseFloat(q.get("minutes") || "15");
    else if (q.get("radius_m")) body.radius_m = parseFloat(q.get("radius_m"));
    $("#plan-btn").disabled = true;
    mapEl.dataset.planState = "loading";
    ui.plan = { key: "plan_planning" };
    renderPlanSummary();
    return request("/api/v1/coverage/plan", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (res) {
      last.plan = res;
      ui.plan = { result: res };
      renderPlan();
      $("#plan-title").scrollIntoView({ block: "start" });
      mapEl.dataset.sites = String(res.sites.length);
      mapEl.dataset.planState = "ready";
    }).catch(function (err) {
      ui.plan = { err: err };
      renderPlanSummary();
      mapEl.dataset.planState = "error";
    }).then(function () { $("#plan-btn").disabled = false; });
  }

  function renderPlanSummary() {
    var el = $("#plan-summary");
    var res = ui.plan && ui.plan.result;
    if (!res) { renderLine(el, ui.plan, "muted"); return; }
    var gap = res.optimality_gap === null ? t("plan_gapUnknown") : (100 * res.optimality_gap).toFixed(2) + "%";
    renderLine(el, { key: "plan_planSummary", vars: {
      before: fmt(res.covered_population_before), after: fmt(res.covered_population_after),
      greedy: fmt(res.greedy_covered_population_gain), gap: gap } }, "muted");
  }

  function renderPlan() {
    renderPlanSummary();
    var res = last.plan;
    if (!res) return;
    layers.plan.clearLayers();
    var tbody = $("#sites tbody");
    clear(tbody);
    res.sites.forEach(function (s, i) {
      var icon = L.divIcon({ className: "", html: "", iconSize: [26, 26] });
      var m = L.marker([s.lat, s.lon], { icon: icon }).addTo(layers.plan);
      m.getElement().appendChild(h("div", { class: "site-marker", text: String(i + 1) }));
      m.bindTooltip(h("span", { text: t("plan_siteTip", { n: i + 1, gain: fmt(s.covered_population_gain) }) }));
      var tr = h("tr", null, h("td", { text: i + 1 }),
        h("td", { text: t("plan_lonLat", { lon: s.lon.toFixed(5), lat: s.lat.toFixed(5) }) }),
        h("td", { class: "num", text: fmt(s.covered_population_gain) }),
        h("td", { class: "num", text: s.newly_covered_grids.length }));
      tr.addEventListener("click", function () { map.setView([s.lat, s.lon], 15); });
      tbody.appendChild(tr);
    });
  }
  $("#plan-btn").addEventListener("click", plan);

  /* ------------------------------------------------------------------ organisation coverage */
  function orgMarker(lat, lon, cls, text) {
    var icon = L.divIcon({ className: "", html: "", iconSize: [14, 14] });
    var m = L.marker([lat, lon], { icon: icon }).addTo(layers.org);
    m.getElement().appendChild(h("div", { class: "org-marker " + cls }));
    m.bindTooltip(h("span", { text: text }));
  }

  function orgList(title, items, line) {
    var box = $("#org");
    box.appendChild(h("h3", { text: t("plan_orgHeading", { title: title, n: items.length }) }));
    var ul = h("ul");
    items.slice(0, 100).forEach(function (x) { ul.appendChild(h("li", { text: line(x) })); });
    if (!items.length) ul.appendChild(h("li", { text: t("plan_orgNone") }));
    box.appendChild(ul);
  }

  function orgCoverage() {
    $("#org-btn").disabled = true;
    var area = $("#area").value;
    return request("/api/v1/org-coverage" + (area ? "?area=" + encodeURIComponent(area) : "")).then(function (res) {
      last.org = res;
      ui.org = null;
      renderOrg();
      $("#org-title").scrollIntoView({ block: "start" });
      mapEl.dataset.org = "ready";
    }).catch(function (err) {
      ui.org = { err: err };
      renderOrg();
      mapEl.dataset.org = "error";
    }).then(function () { $("#org-btn").disabled = false; });
  }

  function renderOrg() {
    var box = $("#org");
    clear(box);
    if (ui.org && ui.org.err) {
      box.appendChild(h("p", { class: "status error", text: errorText(ui.org.err) }));
      return;
    }
    var res = last.org;
    if (!res) return;
    layers.org.clearLayers();
    var p = res.places_without_org;
    p.grids.forEach(function (g) { orgMarker(g.lat, g.lon, "grid", t("plan_orgGridTip", { name: g.name, n: g.full_members })); });
    p.communities.forEach(function (c) { orgMarker(c.lat, c.lon, "community", t("plan_orgCommunityTip", { name: c.name, n: c.full_members })); });
    res.oversized_branches.forEach(function (b) { if (b.lat !== null) orgMarker(b.lat, b.lon, "oversized", t("plan_orgOversizedTip", { name: b.name, n: b.members })); });
    res.undersized_branches.forEach(function (b) { if (b.lat !== null) orgMarker(b.lat, b.lon, "undersized", t("plan_orgUndersizedTip", { name: b.name, n: b.full_members })); });
    orgList(t("plan_orgGrids"), p.grids, function (g) { return t("plan_orgFullMembers", { name: g.name, n: g.full_members }); });
    orgList(t("plan_orgCommunities"), p.communities, function (c) { return t("plan_orgFullMembers", { name: c.name, n: c.full_members }); });
    orgList(t("plan_orgOversized"), res.oversized_branches, function (b) { return t("plan_orgBranchMembers", { name: b.name, code: b.code, n: b.members }); });
    orgList(t("plan_orgUndersized"), res.undersized_branches, function (b) { return t("plan_orgBranchFull", { name: b.name, code: b.code, n: b.full_members }); });
    orgList(t("plan_orgMigrant"), res.suggested_migrant_groups, function (s) {
      return t("plan_orgMigrantLine", { places: s.destinations.join(t("plan_listSep")), n: s.members, d: metres(s.nearest_group_m) });
    });
  }
  $("#org-btn").addEventListener("click", orgCoverage);

  /* ------------------------------------------------------------------ exports */
  function collection() {
    var features = [];
    if (last.coverage) last.coverage.features.forEach(function (f) { features.push(f); });
    if (last.serviceAreas) last.serviceAreas.features.forEach(function (f) { features.push(f); });
    if (last.plan) last.plan.sites.forEach(function (s, i) {
      features.push({ type: "Feature", geometry: { type: "Point", coordinates: [s.lon, s.lat] },
        properties: Object.assign({ layer: "suggested_sites", rank: i + 1 }, s) });
    });
    if (last.org) {
      var o = last.org;
      [["places_without_org_grids", o.places_without_org.grids],
       ["places_without_org_communities", o.places_without_org.communities],
       ["oversized_branches", o.oversized_branches],
       ["undersized_branches", o.undersized_branches],
       ["suggested_migrant_groups", o.suggested_migrant_groups]].forEach(function (pair) {
        pair[1].forEach(function (x) {
          if (x.lon === null || x.lon === undefined) return;
          features.push({ type: "Feature", geometry: { type: "Point", coordinates: [x.lon, x.lat] },
            properties: Object.assign({ layer: pair[0] }, x) });
        });
      });
    }
    return { type: "FeatureCollection", name: "coverage_analysis", query: last.query, features: features };
  }

  function saveText(name, type, text) {
    C.download(name, new Blob([text], { type: type }));
  }

  $("#export-geojson").addEventListener("click", function () {
    saveText("coverage.geojson", "application/geo+json", JSON.stringify(collection()));
  });

  /* A map that opens anywhere, offline: Leaflet and the data are written into the file. */
  var STANDALONE_SCRIPT = [
    "var data = JSON.parse(document.getElementById('data').textContent);",
    "var text = JSON.parse(document.getElementById('text').textContent);",
    "var map = L.map('map', {attributionControl: false});",
    "var colors = {full: '#2e7d32', part: '#f2a900', none: '#c62828'};",
    "function cls(p) { return p.covered ? 'full' : (p.covered_population > 0 || p.covered_members > 0 ? 'part' : 'none'); }",
    "var all = L.geoJSON(data, {",
    "  style: function (f) { var p = f.properties; if (f.geometry.type === 'Point') return {};",
    "    if (p.layer === 'service_areas') return {color: '#1a5fb4', weight: 1, fillOpacity: 0.05};",
    "    var c = colors[cls(p)]; return {color: c, weight: 0.6, fillColor: c, fillOpacity: 0.45}; },",
    "  pointToLayer: function (f, ll) { var s = f.properties.layer === 'suggested_sites';",
    "    return L.circleMarker(ll, {radius: s ? 9 : 5, color: '#fff', weight: 2, fillColor: s ? '#1a5fb4' : '#6a1b9a', fillOpacity: 1}); },",
    "  onEachFeature: function (f, l) { var p = f.properties; var t = document.createElement('span');",
    "    t.textContent = p.layer === 'suggested_sites' ? text.site.replace('{n}', p.rank).replace('{gain}', Number(p.covered_population_gain).toLocaleString(text.locale))",
    "      : (p.name || p.layer) + (p.covered_population_gain !== undefined ? ' +' + p.covered_population_gain : ''); l.bindTooltip(t); }",
    "}).addTo(map);",
    "var local = L.geoJSON(data, {filter: function (f) { return /^coverage_/.test(f.properties.layer); }});",
    "map.fitBounds((local.getLayers().length ? local : all).getBounds());",
    "document.getElementById('map').dataset.features = String(data.features.length);"
  ].join("\n");

  /* The file is written in the page's current language: <html lang>, title and tooltips. */
  $("#export-html").addEventListener("click", function () {
    var base = "/static/vendor/leaflet-1.9.4/";
    var status = $("#export-status");
    status.hidden = true;
    Promise.all([request(base + "leaflet.css", null, "text"), request(base + "leaflet.js", null, "text")])
      .then(function (assets) {
        var safe = function (s) { return s.replace(/<\/(script|style)/gi, "<\\/$1"); };
        var json = function (v) { return JSON.stringify(v).replace(/</g, "\\u003c"); };
        var data = json(collection());
        var text = json({ locale: I.isZh() ? "zh-CN" : "en-US", site: t("plan_siteTip", { n: "{n}", gain: "{gain}" }) });
        var title = t("plan_exportTitle").replace(/&/g, "&amp;").replace(/</g, "&lt;");
        var html = "<!doctype html>\n<html lang=\"" + I.lang() + "\"><head><meta charset=\"utf-8\">" +
          "<title>" + title + "</title>" +
          "<style>" + safe(assets[0]) + "\nhtml,body,#map{height:100%;margin:0;background:#f3f1ea}</style>" +
          "</head><body><div id=\"map\"></div>" +
          "<script type=\"application/json\" id=\"data\">" + data + "</script>" +
          "<script type=\"application/json\" id=\"text\">" + text + "</script>" +
          "<script>" + safe(assets[1]) + "</script>" +
          "<script>" + STANDALONE_SCRIPT + "</script></body></html>";
        saveText("coverage-map.html", "text/html", html);
      }).catch(function (err) {
        status.textContent = t("plan_exportFailed", { msg: errorText(err) });
        status.hidden = false;
      });
  });

  /* ------------------------------------------------------------------ language */
  I.bindToggle($("#lang-toggle"));
  I.onChange(function () {
    buildLayerControl();
    setStatus(ui.status);
    if (last.coverage) {
      drawUnits(last.coverage);
      showTotals(last.coverage.totals, last.coverage.reach);
    }
    if (last.serviceAreas) drawServiceAreas(last.serviceAreas);
    showGaps();
    renderPlan();
    renderOrg();
    $("#export-status").hidden = true;
  });

  I.apply();
  buildLayerControl();
  renderPlanSummary();
  syncMode();
  // an area named in the address: analyse once the chooser holds it
  if (new URLSearchParams(window.location.search).get("area")) areasReady.then(analyse); else analyse();
})();
