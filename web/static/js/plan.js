/* /plan — the planner's page: coverage of service circles, gaps, site suggestions and
 * organisation coverage on one map. Everything comes from /api/v1 on this server; there is no
 * base map (intranet): the page draws boundaries, grids and sites as vector layers.
 * State for tests and people: #map data-state (loading|ready|error), data-units, data-sites.
 */
(function () {
  "use strict";

  var $ = function (sel) { return document.querySelector(sel); };
  var COLORS = { full: "#2e7d32", part: "#f2a900", none: "#c62828" };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k];
      else el.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c !== null && c !== undefined) el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function fmt(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"); }
  function metres(m) { return m === null || m === undefined ? "—" : m >= 1000 ? (m / 1000).toFixed(1) + " 公里" : Math.round(m) + " 米"; }

  function request(url, options) {
    return fetch(url, options).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) throw new Error((body && body.message) || ("HTTP " + resp.status));
        return body;
      });
    });
  }

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
  L.control.layers(null, {
    "覆盖情况": layers.units,
    "服务范围 service_areas": layers.serviceAreas,
    "现有服务点": layers.sites,
    "选址建议": layers.plan,
    "组织覆盖": layers.org
  }, { collapsed: false, position: "topright" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  var last = { coverage: null, serviceAreas: null, plan: null, org: null, areas: null, query: "" };

  request("/api/v1/admin-areas?level=street,town&geometry=simplified").then(function (body) {
    last.areas = body.items;
    var fc = { type: "FeatureCollection", features: body.items.map(function (a) {
      return { type: "Feature", geometry: a.geometry, properties: { name: a.name, code: a.code } };
    }) };
    var g = L.geoJSON(fc, { pane: "areas", style: { color: "#555", weight: 1.2, fill: false, dashArray: "4 3" } });
    layers.areas.addLayer(g);
    map.fitBounds(g.getBounds(), { padding: [10, 10] });
  }).catch(function () { /* the analysis still works without the outline */ });

  /* ------------------------------------------------------------------ parameters */
  function params() {
    var mode = document.querySelector("input[name=mode]:checked").value;
    var q = new URLSearchParams();
    q.set("facility", $("#facility").value);
    q.set("mode", mode);
    q.set("by", $("#by").value);
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

  function setStatus(text, error) {
    var s = $("#status");
    s.textContent = text;
    s.className = "status" + (error ? " error" : "");
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
          "人口 " + fmt(p.covered_population) + " / " + fmt(p.population) + "，党员 " +
          fmt(p.covered_members) + " / " + fmt(p.members), h("br"),
          "最近服务点 " + metres(p.nearest_m)), { sticky: true });
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
        .bindTooltip(h("span", { text: p.name + "（" + Math.round(p.reach_m) + " 米）" }))
        .addTo(layers.sites);
    });
    mapEl.dataset.serviceAreas = String(fc.features.length);
  }

  function showTotals(t, reach) {
    var dl = $("#totals");
    clear(dl);
    var pct = function (a, b) { return b ? " (" + (100 * a / b).toFixed(1) + "%)" : ""; };
    [["统计单元", fmt(t.covered_units) + " / " + fmt(t.units) + " 已覆盖" + pct(t.covered_units, t.units)],
     ["人口", fmt(t.covered_population) + " / " + fmt(t.population) + pct(t.covered_population, t.population)],
     ["党员（居住地）", fmt(t.covered_members) + " / " + fmt(t.members) + pct(t.covered_members, t.members)],
     ["覆盖方式", reach.mode === "walk" ? "步行路网（75 米/分钟）" : "直线距离（椭球面）"]
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
    setStatus("正在分析…");
    var gq = new URLSearchParams(q); gq.delete("by"); gq.set("limit", "100"); gq.set("f", "geojson");
    var sq = new URLSearchParams(q); sq.delete("by");
    var cq = new URLSearchParams(q); cq.set("f", "geojson");
    $("#export-xlsx").href = "/api/v1/coverage/export.xlsx?" + sq.toString();
    return Promise.all([
      request("/api/v1/coverage?" + cq.toString()),
      request("/api/v1/coverage/gaps?" + gq.toString()),
      request("/api/v1/coverage/service-areas?" + sq.toString())
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
      setStatus("分析完成：" + res[0].features.length + " 个单元");
      mapEl.dataset.state = "ready";
    }).catch(function (err) {
      setStatus(err.message, true);
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
    $("#plan-summary").textContent = "正在计算（最大覆盖选址，HiGHS 求解）…";
    return request("/api/v1/coverage/plan", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (res) {
      last.plan = res;
      layers.plan.clearLayers();
      var tbody = $("#sites tbody");
      clear(tbody);
      res.sites.forEach(function (s, i) {
        var icon = L.divIcon({ className: "", html: "", iconSize: [26, 26] });
        var m = L.marker([s.lat, s.lon], { icon: icon }).addTo(layers.plan);
        m.getElement().appendChild(h("div", { class: "site-marker", text: String(i + 1) }));
        m.bindTooltip(h("span", { text: "建议站点 " + (i + 1) + "：新增覆盖 " + fmt(s.covered_population_gain) + " 人" }));
        var tr = h("tr", null, h("td", { text: i + 1 }),
          h("td", { text: s.lon.toFixed(5) + "，" + s.lat.toFixed(5) }),
          h("td", { class: "num", text: fmt(s.covered_population_gain) }),
          h("td", { class: "num", text: s.newly_covered_grids.length }));
        tr.addEventListener("click", function () { map.setView([s.lat, s.lon], 15); });
        tbody.appendChild(tr);
      });
      var gap = res.optimality_gap === null ? "未知" : (100 * res.optimality_gap).toFixed(2) + "%";
      $("#plan-summary").textContent = "覆盖人口 " + fmt(res.covered_population_before) + " → " +
        fmt(res.covered_population_after) + "（贪心法新增 " + fmt(res.greedy_covered_population_gain) +
        "），最优性差距 " + gap;
      $("#plan-title").scrollIntoView({ block: "start" });
      mapEl.dataset.sites = String(res.sites.length);
      mapEl.dataset.planState = "ready";
    }).catch(function (err) {
      $("#plan-summary").textContent = err.message;
      mapEl.dataset.planState = "error";
    }).then(function () { $("#plan-btn").disabled = false; });
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
    box.appendChild(h("h3", { text: title + "（" + items.length + "）" }));
    var ul = h("ul");
    items.slice(0, 100).forEach(function (x) { ul.appendChild(h("li", { text: line(x) })); });
    if (!items.length) ul.appendChild(h("li", { text: "无" }));
    box.appendChild(ul);
  }

  function orgCoverage() {
    $("#org-btn").disabled = true;
    return request("/api/v1/org-coverage").then(function (res) {
      last.org = res;
      layers.org.clearLayers();
      clear($("#org"));
      var p = res.places_without_org;
      p.grids.forEach(function (g) { orgMarker(g.lat, g.lon, "grid", g.name + "：" + g.full_members + " 名正式党员，无网格党小组"); });
      p.communities.forEach(function (c) { orgMarker(c.lat, c.lon, "community", c.name + "：" + c.full_members + " 名正式党员，无党组织"); });
      res.oversized_branches.forEach(function (b) { if (b.lat !== null) orgMarker(b.lat, b.lon, "oversized", b.name + "：" + b.members + " 人，超过 50 人"); });
      res.undersized_branches.forEach(function (b) { if (b.lat !== null) orgMarker(b.lat, b.lon, "undersized", b.name + "：正式党员 " + b.full_members + " 人，不足 3 人"); });
      orgList("有 3 名以上正式党员但无网格党小组的网格", p.grids, function (g) { return g.name + " · 正式党员 " + g.full_members; });
      orgList("有 3 名以上正式党员但无党组织的社区（村）", p.communities, function (c) { return c.name + " · 正式党员 " + c.full_members; });
      orgList("超过 50 人的支部", res.oversized_branches, function (b) { return b.name + "（" + b.code + "）· " + b.members + " 人"; });
      orgList("正式党员不足 3 人的支部", res.undersized_branches, function (b) { return b.name + "（" + b.code + "）· 正式党员 " + b.full_members; });
      orgList("建议成立流动党员党支部的地点", res.suggested_migrant_groups, function (s) {
        return s.destinations.join("、") + " · " + s.members + " 名流动党员，最近的流动党员党支部 " + metres(s.nearest_group_m);
      });
      $("#org-title").scrollIntoView({ block: "start" });
      mapEl.dataset.org = "ready";
    }).catch(function (err) {
      clear($("#org"));
      $("#org").appendChild(h("p", { class: "status error", text: err.message }));
      mapEl.dataset.org = "error";
    }).then(function () { $("#org-btn").disabled = false; });
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

  function download(name, type, text) {
    var a = h("a", { href: URL.createObjectURL(new Blob([text], { type: type })), download: name });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  $("#export-geojson").addEventListener("click", function () {
    download("coverage.geojson", "application/geo+json", JSON.stringify(collection()));
  });

  /* A map that opens anywhere, offline: Leaflet and the data are written into the file. */
  var STANDALONE_SCRIPT = [
    "var data = JSON.parse(document.getElementById('data').textContent);",
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
    "    t.textContent = (p.name || p.layer) + (p.covered_population_gain !== undefined ? ' +' + p.covered_population_gain : ''); l.bindTooltip(t); }",
    "}).addTo(map);",
    "var local = L.geoJSON(data, {filter: function (f) { return /^coverage_/.test(f.properties.layer); }});",
    "map.fitBounds((local.getLayers().length ? local : all).getBounds());",
    "document.getElementById('map').dataset.features = String(data.features.length);"
  ].join("\n");

  $("#export-html").addEventListener("click", function () {
    var base = "/static/vendor/leaflet-1.9.4/";
    Promise.all([fetch(base + "leaflet.css").then(function (r) { return r.text(); }),
                 fetch(base + "leaflet.js").then(function (r) { return r.text(); })])
      .then(function (assets) {
        var safe = function (s) { return s.replace(/<\/(script|style)/gi, "<\\/$1"); };
        var data = JSON.stringify(collection()).replace(/</g, "\\u003c");
        var html = "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">" +
          "<title>服务覆盖分析地图 · 党建电子地图</title>" +
          "<style>" + safe(assets[0]) + "\nhtml,body,#map{height:100%;margin:0;background:#f3f1ea}</style>" +
          "</head><body><div id=\"map\"></div>" +
          "<script type=\"application/json\" id=\"data\">" + data + "</script>" +
          "<script>" + safe(assets[1]) + "</script>" +
          "<script>" + STANDALONE_SCRIPT + "</script></body></html>";
        download("coverage-map.html", "text/html", html);
      });
  });

  syncMode();
  analyse();
})();
