/* The leaders' wall screen (/screen): headline figures, four charts and the map of one area
 * at any level (?area=CODE; default the account's own area), from /api/v1/stats/*
 * (aggregates only). Live: every figure is fetched again every 30 s (?refresh=N seconds).
 * Clicking a child area (ranking bar or map) drills down, the breadcrumb goes back up, the
 * address follows (history.pushState: reload and back work); the carousel (button, or
 * ?carousel=1, ?carousel_s=N) cycles through the children of the area it started on.
 *
 * The page is one 1920×1080 stage scaled as a whole (a 3840×2160 wall gets scale 2), and
 * ECharts draws at the scaled pixel ratio so text stays sharp. The map uses a fisheye
 * projection centred on the district: true to scale inside it, distances beyond compressed
 * logarithmically, so the destination cities of mobile members (hundreds of kilometres
 * away) sit round the district at their true bearing and the flow lines stay on screen.
 * No base map: boundaries come from the service.
 */
(function () {
  "use strict";

  var W = 1920, H = 1080;
  var t = I18N.t, num = I18N.num;
  var getJSON = MapsvcCommon.getJSON, tipText = MapsvcCommon.tipText;
  var params = new URLSearchParams(window.location.search);

  function seconds(name, dflt) {
    var v = Number(params.get(name));
    return isFinite(v) && v >= 1 && v <= 86400 ? v : dflt;
  }
  var REFRESH_S = seconds("refresh", 30);
  var CAROUSEL_S = seconds("carousel_s", 20);

  var GOLD = "#f2c66d", TEXT = "#f6ead2", RED = "#d7262d";
  var FONT = '"Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';

  var state = {
    area: null, // the area asked for (?area=), null: the account's own area
    current: null, // the code of the area shown (resolved from the answers)
    overview: null, areas: null, flows: null, map: null,
    mapKey: null, mapBuilt: false,
    carousel: params.get("carousel") === "1", carouselHome: null, carouselOrder: [],
    carouselIndex: 0, carouselTimer: null,
    refreshTimer: null, seq: 0, refreshes: 0, steps: 0
  };
  var body = document.body;
  var stage = document.getElementById("stage");
  var charts = {};
  var scale = 1;

  // the length of the code prefix an area's descendants share
  var PREFIX = { province: 2, city: 4, county: 6, street: 9, town: 9, community: 12, village: 12 };

  function levelOf(code) {
    if (/^..0{10}$/.test(code)) return "province";
    if (/^....0{8}$/.test(code)) return "city";
    if (/^......0{6}$/.test(code)) return "county";
    if (/^.........000$/.test(code)) return /^......[123]/.test(code) ? "town" : "street";
    return /^.........[23]/.test(code) ? "village" : "community";
  }

  function within(parent, code) { return code.slice(0, PREFIX[levelOf(parent)]) === parent.slice(0, PREFIX[levelOf(parent)]); }

  // ---------------------------------------------------------------- stage and charts
  function fit() {
    var vw = window.innerWidth, vh = window.innerHeight;
    scale = Math.min(vw / W, vh / H);
    var dx = (vw - W * scale) / 2, dy = (vh - H * scale) / 2;
    stage.style.transform = "translate(" + dx + "px," + dy + "px) scale(" + scale + ")";
  }

  function ratio() { return (window.devicePixelRatio || 1) * scale; }

  // charts are made once (and again only when the pixel ratio changes): the wall runs for
  // months, so a drill-down reuses them and adds no listener
  function initCharts() {
    ["age", "category", "map", "streets", "flows"].forEach(function (name) {
      if (charts[name]) charts[name].dispose();
      charts[name] = echarts.init(document.getElementById("chart-" + name), null, {
        renderer: "canvas", devicePixelRatio: ratio()
      });
    });
    charts.map.on("click", onMapClick);
    charts.streets.on("click", function (p) {
      var code = p.data && p.data.code;
      if (code) go(code, true);
    });
    state.mapBuilt = false;
    state.dpr = ratio();
  }

  // ---------------------------------------------------------------- data
  function load() {
    var seq = ++state.seq;
    var asked = state.area;
    // every request at once (without ?area= each answers for the account's own area); the
    // map again only for another area, or (below) when the data version moved on
    var q = asked ? "?area=" + encodeURIComponent(asked) : "";
    var shown = state.mapKey ? state.mapKey.split("@")[0] : null;
    var mapNow = !state.map || !asked || asked !== shown;
    return Promise.all([
      getJSON("/api/v1/stats/overview" + q),
      getJSON("/api/v1/stats/areas" + (asked ? "?parent=" + encodeURIComponent(asked) : "")),
      getJSON("/api/v1/stats/flows" + q),
      mapNow && (asked || !state.map) ? getJSON("/api/v1/stats/map" + q) : Promise.resolve(null)
    ]).then(function (res) {
      var ov = res[0], code = ov.area.code;
      var key = code + "@" + ov.data_version;
      var map = res[3] && res[3].area.code === code ? res[3] : null;
      var again = !map && state.mapKey !== key;
      return (again ? getJSON("/api/v1/stats/map?area=" + encodeURIComponent(code)) : Promise.resolve(map)).then(function (m) {
        if (seq !== state.seq) return; // a newer load (another area) has started
        if (m) { state.map = m; state.mapKey = key; state.mapBuilt = false; }
        state.current = code;
        state.overview = ov;
        state.areas = res[1];
        state.flows = res[2];
        if (state.carousel && state.carouselHome === code) state.carouselOrder = carouselOrder();
        renderAll();
        hideError();
        state.retrySoon = false;
        state.refreshes += 1;
        body.dataset.refreshes = String(state.refreshes);
        body.dataset.version = ov.data_version;
        body.dataset.scope = code;
        body.dataset.level = ov.area.level;
        if (body.dataset.state !== "ready") body.dataset.readyMs = String(Math.round(performance.now()));
        body.dataset.state = "ready";
        stamp();
      });
    }).catch(function (err) {
      if (seq !== state.seq) return;
      // 503: the service is still counting (just started on a large city): ask again soon
      state.retrySoon = err.status === 503;
      showError(t("screen_loadFailed", { msg: err.message }));
      if (body.dataset.state === "loading") body.dataset.state = "error";
    });
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(function () {
      load().then(scheduleRefresh, scheduleRefresh);
    }, (state.retrySoon ? Math.min(3, REFRESH_S) : REFRESH_S) * 1000);
  }

  function urlFor(code) {
    var q = new URLSearchParams(window.location.search);
    q.delete("street");
    if (code) q.set("area", code); else q.delete("area");
    var s = q.toString();
    return window.location.pathname + (s ? "?" + s : "");
  }

  /* Show another area. By hand: a new history entry (back and reload work) and the
     carousel stops; the carousel's own steps replace the entry (months of steps must not
     grow the history). */
  function go(code, byHand) {
    if (code === state.current && byHand) return;
    if (byHand && state.carousel) setCarousel(false);
    state.area = code;
    if (byHand) history.pushState({ area: code }, "", urlFor(code));
    else history.replaceState({ area: code }, "", urlFor(code));
    body.dataset.scope = "loading";
    load();
  }

  function fromUrl() {
    var q = new URLSearchParams(window.location.search);
    var code = q.get("area") || q.get("street");
    return code && /^[0-9]{12}$/.test(code) ? code : null;
  }

  // ---------------------------------------------------------------- carousel
  /* The carousel cycles through the children of the area shown when it started: that area,
     then each child, then that area again. */
  function carouselOrder() {
    var rows = (state.areas && state.areas.items) || [];
    return [state.carouselHome].concat(rows.map(function (r) { return r.code; }));
  }

  function setCarousel(on) {
    var was = state.carousel && state.carouselTimer !== null;
    state.carousel = on;
    var btn = document.getElementById("carousel");
    btn.setAttribute("aria-pressed", on ? "true" : "false");
    document.getElementById("carousel-label").textContent = t(on ? "screen_carouselOn" : "screen_carousel");
    body.dataset.carousel = on ? "on" : "off";
    if (!on) {
      clearInterval(state.carouselTimer);
      state.carouselTimer = null;
      return;
    }
    if (was) return; // already cycling (a language change re-labels only)
    state.carouselHome = state.current;
    state.carouselOrder = carouselOrder();
    state.carouselIndex = 0;
    state.carouselTimer = setInterval(function () {
      var list = state.carouselOrder;
      if (list.length < 2) return;
      state.carouselIndex = (state.carouselIndex + 1) % list.length;
      state.steps += 1;
      body.dataset.carouselSteps = String(state.steps);
      go(list[state.carouselIndex], false);
    }, CAROUSEL_S * 1000);
  }

  // ---------------------------------------------------------------- header and figures
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var d = new Date();
    var days = I18N.isZh() ? "日一二三四五六" : null;
    var date = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    var week = days ? " 星期" + days.charAt(d.getDay()) : " " + d.toLocaleDateString("en-GB", { weekday: "long" });
    document.getElementById("clock").textContent =
      date + week + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function stamp() {
    var d = new Date();
    document.getElementById("updated").textContent =
      t("screen_updated", { time: pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) });
  }

  function areaName() { return state.overview ? state.overview.area.name : ""; }

  function levelName(level) { return t("screen_level_" + level); }

  /* The breadcrumb: root → … → the area shown; every crumb but the last goes back up. */
  function renderCrumbs() {
    var nav = document.getElementById("crumbs");
    var path = state.overview ? state.overview.area.path : [];
    var h = MapsvcCommon.h;
    MapsvcCommon.clear(nav);
    path.forEach(function (c, i) {
      if (i) nav.appendChild(h("span", { class: "sep", "aria-hidden": "true" }, "›"));
      var last = i === path.length - 1;
      var el = h(last ? "span" : "button", last ? { class: "crumb current", "aria-current": "page" }
        : { class: "crumb", type: "button", "data-code": c.code }, c.name);
      el.appendChild(h("small", null, levelName(c.level)));
      nav.appendChild(el);
    });
  }

  function noteText(n) { return I18N.isZh() ? n.message : n.message_en; }

  /* What the area's data lacks (the API's `missing`): said in words, never a blank panel. */
  function renderMissing() {
    var notes = (state.overview && state.overview.missing) || [];
    var box = document.getElementById("missing");
    var h = MapsvcCommon.h;
    MapsvcCommon.clear(box);
    notes.slice(0, 3).forEach(function (n) { box.appendChild(h("div", { class: "note", "data-what": n.what }, noteText(n))); });
    if (notes.length > 3) box.appendChild(h("div", { class: "note" }, t("screen_moreNotes", { n: notes.length - 3 })));
    box.hidden = notes.length === 0;
  }

  function kpi(name, value, sub, raw) {
    var el = document.querySelector('[data-kpi="' + name + '"]');
    el.querySelector(".v").textContent = value;
    el.dataset.value = raw === null || raw === undefined ? "" : String(raw);
    if (sub !== null) el.querySelector(".k-sub").textContent = sub;
  }

  function pct(share) { return share === null || share === undefined ? "—" : (share * 100).toFixed(1); }

  function renderKpis() {
    var o = state.overview, m = o.members, lv = o.orgs.by_level, sp = o.service_points.by_level;
    kpi("orgs", num(o.orgs.total), t("screen_kOrgsSub", {
      committee: num(lv.committee + lv.working_committee),
      general: num(lv.general_branch),
      branch: num(lv.branch + lv.joint_branch + lv.temporary_branch)
    }), o.orgs.total);
    kpi("members", num(m.total), t("screen_kMembersSub", { full: num(m.full), probationary: num(m.probationary) }), m.total);
    kpi("mobile_out", num(m.mobile_out), null, m.mobile_out);
    kpi("mobile_in", num(m.mobile_in), null, m.mobile_in);
    kpi("service_points", num(o.service_points.total), t("screen_kServiceSub", {
      centres: num(sp.district_centre + sp.street_centre + sp.community_centre), stations: num(sp.station)
    }), o.service_points.total);
    var c = o.coverage_15min;
    kpi("circle", pct(c.population_share),
        t(c.mode === "walk" ? "screen_kCircleSubWalk" : "screen_kCircleSubDistance",
          { grids: num(c.covered_grids) + "/" + num(c.grids) }), c.population_share);
    var oc = o.org_coverage;
    kpi("org_coverage", pct(oc.rate), t("screen_kOrgCoverageSub", { n: num(oc.communities_needing_org) }), oc.rate);
    document.getElementById("alerts").textContent = t("screen_alerts", {
      over: num(oc.oversized_branches), under: num(oc.undersized_branches), grids: num(oc.grids_without_party_group)
    });
  }

  // ---------------------------------------------------------------- charts
  function axisText(size) { return { color: TEXT, fontSize: size || 18, fontFamily: FONT }; }

  function tooltip() {
    return {
      backgroundColor: "rgba(40,6,6,0.92)", borderColor: GOLD,
      textStyle: { color: TEXT, fontSize: 18, fontFamily: FONT }
    };
  }

  function renderAge() {
    var rows = state.overview.age_gender;
    var most = Math.max.apply(null, [1].concat(rows.map(function (r) { return Math.max(r.M, r.F); })));
    var labels = rows.map(function (r) {
      return t("screen_age_" + r.band.replace("≤", "le").replace("≥", "ge"));
    });
    charts.age.setOption({
      animationDurationUpdate: 600,
      textStyle: { fontFamily: FONT },
      tooltip: Object.assign(tooltip(), { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: tipText(function (v) { return num(Math.abs(v)); }) }),
      legend: { top: 6, right: 16, textStyle: axisText(18), itemWidth: 18, itemHeight: 12,
                data: [t("screen_male"), t("screen_female")] },
      grid: { left: 124, right: 16, top: 46, bottom: 16 },
      xAxis: { type: "value", min: -most * 1.45, max: most * 1.45, axisLabel: { show: false },
               splitLine: { show: false } },
      yAxis: { type: "category", data: labels, axisLabel: axisText(18),
               axisLine: { lineStyle: { color: "rgba(242,198,109,0.4)" } }, axisTick: { show: false } },
      series: [
        { id: "M", name: t("screen_male"), type: "bar", stack: "g", barWidth: 26,
          itemStyle: { color: "#c9342d" },
          label: { show: true, position: "left", color: TEXT, fontSize: 15,
                   formatter: function (p) { return num(Math.abs(p.value)); } },
          data: rows.map(function (r) { return -r.M; }) },
        { id: "F", name: t("screen_female"), type: "bar", stack: "g", barWidth: 26,
          itemStyle: { color: GOLD },
          label: { show: true, position: "right", color: TEXT, fontSize: 15,
                   formatter: function (p) { return num(p.value); } },
          data: rows.map(function (r) { return r.F; }) }
      ]
    });
  }

  var CAT_COLORS = ["#e8473e", "#f2c66d", "#e07b39", "#f5e0a3", "#b8322a", "#d9a441", "#ff9d6e", "#9c2a1c", "#ffd66b"];

  function renderCategory() {
    var cats = state.overview.orgs.by_category;
    var data = Object.keys(cats).filter(function (k) { return cats[k] > 0; }).map(function (k) {
      return { name: t("cat_" + k), value: cats[k], key: k };
    }).sort(function (a, b) { return b.value - a.value; });
    charts.category.setOption({
      color: CAT_COLORS,
      textStyle: { fontFamily: FONT },
      tooltip: Object.assign(tooltip(), { trigger: "item",
        formatter: tipText(function (p) { return p.name + "：" + num(p.value) + "（" + p.percent + "%）"; }) }),
      series: [{
        id: "cat", type: "pie", radius: ["26%", "62%"], center: ["50%", "54%"], roseType: "radius",
        itemStyle: { borderColor: "#2a0707", borderWidth: 2 },
        label: { color: TEXT, fontSize: 17, formatter: function (p) { return p.name + "\n" + num(p.value); } },
        labelLine: { length: 10, length2: 12, lineStyle: { color: "rgba(242,198,109,0.6)" } },
        labelLayout: { hideOverlap: true },
        data: data
      }]
    }, { replaceMerge: ["series"] });
  }

  var TOP_AREAS = 12;

  /* The ranking of the children of the area shown (by members); a bar drills down. */
  function renderRanking() {
    var all = state.areas.items;
    var rows = all.slice(0, TOP_AREAS).reverse(); // the first rank on top
    var childLevel = all.length ? all[0].level : null;
    document.getElementById("rank-title").textContent = childLevel
      ? t("screen_pRank", { level: levelName(childLevel) }) : t("screen_pRankNone");
    var empty = document.getElementById("rank-empty");
    if (!all.length) {
      var own = (state.overview.missing || []).filter(function (n) {
        return n.what === "children" && n.message.indexOf(state.current) >= 0;
      })[0];
      empty.textContent = own ? noteText(own)
        : t("screen_noChildren", { name: areaName(), level: levelName(state.overview.area.level) });
    }
    empty.hidden = all.length > 0;
    charts.streets.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: Object.assign(tooltip(), { trigger: "item", formatter: tipText(function (p) {
        var r = p.data;
        if (!r) return ""; // the tooltip outlived its bar (the ranking changed under the mouse)
        return t("screen_tipArea", { name: r.name, members: num(r.value), orgs: num(r.orgs),
                                     pct: pct(r.share) + "%" });
      }) }),
      grid: { left: 150, right: 170, top: 10, bottom: 14 },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", axisTick: { show: false },
               axisLine: { show: all.length > 0, lineStyle: { color: "rgba(242,198,109,0.4)" } },
               axisLabel: Object.assign(axisText(17), { width: 136, overflow: "truncate" }),
               data: rows.map(function (r) { return r.rank + "  " + r.name; }) },
      series: [{
        id: "members", type: "bar", barWidth: 18, cursor: "pointer",
        label: { show: true, position: "right", color: TEXT, fontSize: 16,
                 formatter: function (p) {
                   return t("screen_barLabel", { n: num(p.value), pct: pct(p.data.share) });
                 } },
        data: rows.map(function (r) {
          return {
            value: r.members.total, code: r.code, name: r.name, orgs: r.orgs,
            share: r.coverage_15min.rate,
            itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [
              { offset: 0, color: "#9c1f1f" }, { offset: 1, color: GOLD }]) }
          };
        })
      }]
    }, { replaceMerge: ["series"] });
  }

  function renderFlows() {
    var rows = state.flows.flows.slice(0, 8).reverse();
    charts.flows.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: Object.assign(tooltip(), { trigger: "item", formatter: tipText(function (p) {
        return t("screen_tipFlow", { from: state.flows.origin.name, to: p.name, n: num(p.value) });
      }) }),
      grid: { left: 124, right: 60, top: 8, bottom: 10 },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", axisTick: { show: false },
               axisLabel: Object.assign(axisText(17), { width: 114, overflow: "truncate" }),
               axisLine: { lineStyle: { color: "rgba(242,198,109,0.4)" } },
               data: rows.map(function (r) { return r.destination; }) },
      series: [{
        id: "flows", type: "bar", barWidth: 16,
        itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [
          { offset: 0, color: "#7a1616" }, { offset: 1, color: "#ffcf5a" }]) },
        label: { show: true, position: "right", color: TEXT, fontSize: 16,
                 formatter: function (p) { return num(p.value); } },
        data: rows.map(function (r) { return { name: r.destination, value: r.members }; })
      }]
    }, { replaceMerge: ["series"] });
  }

  // ---------------------------------------------------------------- the map
  var KM_PER_DEG_LAT = 110.574;

  /* Radial fisheye round (lon0, lat0): linear out to r0 km, then logarithmic, so 3,000 km
     away lands at 1.2 × r0 (monotone, so every bearing and order of distance is kept). */
  function fisheye(lon0, lat0, r0) {
    var kx = 111.32 * Math.cos(lat0 * Math.PI / 180), ky = KM_PER_DEG_LAT;
    var spread = 0.2, L = Math.log(3000 / r0);
    function f(r) { return r <= r0 ? r : r0 * (1 + spread * Math.log(r / r0) / L); }
    function finv(q) { return q <= r0 ? q : r0 * Math.exp((q / r0 - 1) * L / spread); }
    return {
      project: function (p) {
        var x = (p[0] - lon0) * kx, y = (p[1] - lat0) * ky, r = Math.sqrt(x * x + y * y);
        if (r === 0) return [0, 0];
        var m = f(r) / r;
        return [x * m, -y * m];
      },
      unproject: function (p) {
        var x = p[0], y = -p[1], q = Math.sqrt(x * x + y * y);
        if (q === 0) return [lon0, lat0];
        var m = finv(q) / q;
        return [lon0 + x * m / kx, lat0 + y * m / ky];
      }
    };
  }

  function circle(lon, lat, metres, n) {
    var pts = [], dlat = metres / 1000 / KM_PER_DEG_LAT;
    var dlon = metres / 1000 / (111.32 * Math.cos(lat * Math.PI / 180));
    for (var i = 0; i < n; i++) {
      var a = 2 * Math.PI * i / n;
      pts.push([lon + dlon * Math.cos(a), lat + dlat * Math.sin(a)]);
    }
    return pts;
  }

  function outerRings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates[0]];
    if (geometry.type === "MultiPolygon") return geometry.coordinates.map(function (p) { return p[0]; });
    return [];
  }

  function buildMap() {
    var m = state.map, b = m.area.bbox;
    var lon0 = (b[0] + b[2]) / 2, lat0 = (b[1] + b[3]) / 2;
    var kx = 111.32 * Math.cos(lat0 * Math.PI / 180);
    var r0 = Math.sqrt(Math.pow((b[2] - b[0]) / 2 * kx, 2) + Math.pow((b[3] - b[1]) / 2 * KM_PER_DEG_LAT, 2));
    var proj = fisheye(lon0, lat0, r0);
    // the view: the area and every destination city, with room for their labels
    var el = document.getElementById("chart-map");
    // the breadcrumb takes the top 48 px: the map sits below it
    var pw = Math.max(1, el.clientWidth - 16), ph = Math.max(1, el.clientHeight - 16 - 48);
    var aspect = pw / ph;
    var reach = r0 * 0.8;
    (state.flows ? state.flows.flows : []).forEach(function (f) {
      if (f.lon === null) return;
      var p = proj.project([f.lon, f.lat]);
      reach = Math.max(reach, (Math.abs(p[0]) + r0 * 0.25) / aspect, Math.abs(p[1]) + r0 * 0.04);
    });
    // ECharts fits the area's rectangle into layoutSize pixels: size it so the whole
    // reach (the area and destinations) fits the panel
    var hh = Math.max(reach * 1.06, r0 * 0.5), hw = hh * aspect;
    var ppk = Math.min(pw / (2 * hw), ph / (2 * hh));
    var wide = (b[2] - b[0]) * kx, tall = (b[3] - b[1]) * KM_PER_DEG_LAT;
    state.layoutSize = Math.max(wide, tall) * ppk;
    state.ppk = ppk;
    state.centre = [lon0, lat0];
    state.kx = kx;
    state.r0 = r0;
    state.layoutChecked = false;
    // one name, registered again for each area: the registry keeps one map, not one per area
    echarts.registerMap("screen-area", geoFeatures(m));
    state.projection = proj;
    state.circles = m.service_points.map(function (s) { return circle(s.lon, s.lat, s.reach_m, 40); });
    state.childRings = {};
    m.children.features.forEach(function (f) { state.childRings[f.properties.code] = outerRings(f.geometry); });
    charts.map.clear();
    state.mapBuilt = true;
  }

  function renderMap() {
    if (!state.map) return;
    if (!state.mapBuilt) buildMap();
    var m = state.map, fl = state.flows;
    var densities = m.density.features.map(function (f) { return f.properties.per_km2 || 0; });
    var top = Math.max(1, densities.slice().sort(function (a, b) { return a - b; })[Math.floor(densities.length * 0.95)] || 1);
    var borders = [];
    Object.keys(state.childRings).forEach(function (code) {
      state.childRings[code].forEach(function (ring) { borders.push({ coords: ring }); });
    });
    var labels = m.children.features.map(function (f) {
      var p = f.properties;
      return { name: p.name, value: [p.lon, p.lat], code: p.code };
    });
    if (!labels.length) labels = [{ name: m.area.name, value: [m.area.lon, m.area.lat], code: m.area.code }];
    var origin = [fl.origin.lon, fl.origin.lat];
    var maxFlow = Math.max.apply(null, [1].concat(fl.flows.map(function (f) { return f.members; })));
    var dest = fl.flows.filter(function (f) { return f.lon !== null; });
    charts.map.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: Object.assign(tooltip(), { trigger: "item" }),
      geo: {
        map: "screen-area", nameProperty: "code", projection: state.projection,
        roam: false, aspectScale: 1, layoutCenter: ["50%", (50 + 24 / Math.max(1, document.getElementById("chart-map").clientHeight) * 100) + "%"], layoutSize: state.layoutSize,
        silent: false, label: { show: false },
        itemStyle: { areaColor: "#3a0c0c", borderColor: "rgba(242,198,109,0.18)", borderWidth: 0.6 },
        emphasis: { disabled: true },
        select: { disabled: true }
      },
      visualMap: {
        show: false, seriesIndex: 0, min: 0, max: top,
        inRange: { color: ["#4a0f0f", "#8e2418", "#d0552a", "#f0a640", "#ffe08a"] }
      },
      series: [
        { id: "density", type: "map", geoIndex: 0, cursor: "pointer",
          tooltip: { formatter: tipText(function (p) {
            if (!p.data) return "";
            return t("screen_tipCommunity", { name: p.data.label, members: num(p.data.members), density: num(p.data.value) });
          }) },
          data: m.density.features.map(function (f) {
            var p = f.properties;
            return { name: p.code, value: p.per_km2 || 0, label: p.name, members: p.members };
          }) },
        { id: "circles", type: "custom", coordinateSystem: "geo", silent: true, z: 3,
          renderItem: function (params, api) {
            var ring = state.circles[params.dataIndex];
            if (!ring) return null;
            return { type: "polygon", shape: { points: ring.map(function (c) { return api.coord(c); }) },
                     style: { fill: "rgba(111,211,200,0.10)", stroke: "rgba(111,211,200,0.75)", lineWidth: 1.2 } };
          },
          data: m.service_points.map(function (s) { return [s.lon, s.lat]; }) },
        { id: "borders", type: "lines", coordinateSystem: "geo", polyline: true, silent: true, z: 4,
          lineStyle: { color: "rgba(242,198,109,0.55)", width: 1.4 }, data: borders },
        { id: "branches", type: "scatter", coordinateSystem: "geo", z: 6, symbol: "circle",
          symbolSize: function (v) { return 3 + Math.sqrt(v[2]) * 1.6; },
          itemStyle: { color: "#ffe08a", opacity: 0.85, borderColor: "#5a1212", borderWidth: 0.5 },
          tooltip: { formatter: tipText(function (p) { return t("screen_tipBranches", { n: num(p.value[2]) }); }) },
          data: m.branch_cells.cells },
        { id: "labels", type: "scatter", coordinateSystem: "geo", z: 7, symbolSize: 1, silent: true,
          label: { show: true, formatter: "{b}", color: TEXT, fontSize: 17, fontWeight: "bold",
                   textBorderColor: "#1a0404", textBorderWidth: 3 },
          labelLayout: { hideOverlap: true }, data: labels },
        { id: "flows", type: "lines", coordinateSystem: "geo", z: 8, silent: true,
          effect: { show: true, period: 5, trailLength: 0.25, symbol: "circle", symbolSize: 7, color: "#fff4c2" },
          lineStyle: { color: "#ffcf5a", opacity: 0.7, curveness: 0.22 },
          data: dest.map(function (f) {
            return { coords: [origin, [f.lon, f.lat]],
                     lineStyle: { width: 1 + 4 * Math.sqrt(f.members / maxFlow) } };
          }) },
        { id: "cities", type: "effectScatter", coordinateSystem: "geo", z: 9,
          rippleEffect: { scale: 3, brushType: "stroke" },
          symbolSize: function (v) { return 6 + 10 * Math.sqrt(v[2] / maxFlow); },
          itemStyle: { color: "#ffcf5a" },
          label: { show: true, position: "right", color: TEXT, fontSize: 18, fontWeight: "bold",
                   textBorderColor: "#1a0404", textBorderWidth: 3,
                   formatter: function (p) { return p.name + " " + num(p.value[2]); } },
          tooltip: { formatter: tipText(function (p) {
            return t("screen_tipFlow", { from: fl.origin.name, to: p.name, n: num(p.value[2]) });
          }) },
          data: dest.map(function (f) { return { name: f.destination, value: [f.lon, f.lat, f.members] }; }) },
        { id: "origin", type: "effectScatter", coordinateSystem: "geo", z: 9, silent: true,
          symbolSize: 12, itemStyle: { color: RED }, rippleEffect: { scale: 4 },
          data: [{ name: fl.origin.name, value: origin }] }
      ]
    });
    checkLayout();
    placeCityLabels(origin, dest);
  }

  /* City labels: on the side away from the district, and pushed apart vertically where two
     cities lie close together on the screen (包头 and 鄂尔多斯, 广州 and 深圳). */
  function placeCityLabels(origin, dest) {
    var o = charts.map.convertToPixel("geo", origin);
    if (!o) return;
    var items = dest.map(function (f, i) {
      var p = charts.map.convertToPixel("geo", [f.lon, f.lat]);
      return { i: i, x: p[0], y: p[1], left: p[0] < o[0] };
    });
    var labels = [];
    [true, false].forEach(function (left) {
      var lastY = -1e9, lastX = null;
      items.filter(function (it) { return it.left === left; })
        .sort(function (a, b) { return a.y - b.y; })
        .forEach(function (it) {
          var y = it.y;
          if (lastX !== null && Math.abs(it.x - lastX) < 170 && y - lastY < 24) y = lastY + 24;
          labels[it.i] = { position: left ? "left" : "right", offset: [0, y - it.y] };
          lastY = y;
          lastX = it.x;
        });
    });
    charts.map.setOption({ series: [{
      id: "cities",
      data: dest.map(function (f, i) {
        return { name: f.destination, value: [f.lon, f.lat, f.members], label: labels[i] };
      })
    }] });
  }

  /* ECharts' reading of layoutSize depends on the rectangle's shape: measure the scale it
     gave (pixels per kilometre inside the district, where the projection is linear) and
     correct it once. */
  function checkLayout() {
    if (state.layoutChecked) return;
    state.layoutChecked = true;
    var a = charts.map.convertToPixel("geo", state.centre);
    // measure inside the linear part: half the area's radius (a street is a few km across)
    var km = Math.min(10, state.r0 / 2);
    var b = charts.map.convertToPixel("geo", [state.centre[0] + km / state.kx, state.centre[1]]);
    if (!a || !b) return;
    var got = Math.abs(b[0] - a[0]) / km;
    if (got > 0 && Math.abs(got / state.ppk - 1) > 0.01) {
      state.layoutSize *= state.ppk / got;
      charts.map.setOption({ geo: { layoutSize: state.layoutSize } });
    }
  }

  /* The child of the area shown that holds a code (a leaf's, or the child's own). */
  function childHolding(code) {
    var kids = (state.areas && state.areas.items) || [];
    for (var i = 0; i < kids.length; i++) if (within(kids[i].code, code)) return kids[i].code;
    return null;
  }

  function onMapClick(p) {
    var code = null;
    if (p.seriesId === "density" && p.data) code = p.data.name;
    else if (p.componentType === "geo" && p.name) code = p.name;
    var child = code && /^[0-9]{12}$/.test(code) ? childHolding(code) : null;
    if (child) go(child, true);
  }

  /* The map's shapes: the leaf areas (communities, villages) with their density; an area
     whose leaves are not loaded gets its children, or its own rectangle. */
  function geoFeatures(m) {
    if (m.density.features.length) return m.density;
    if (m.children.features.some(function (f) { return f.geometry; })) return m.children;
    var b = m.area.bbox;
    return { type: "FeatureCollection", features: [{ type: "Feature", properties: { code: m.area.code, name: m.area.name },
      geometry: { type: "Polygon", coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] } }] };
  }

  // ---------------------------------------------------------------- everything
  function renderAll() {
    if (!state.overview) return;
    document.getElementById("title").textContent = t("screen_title", { district: areaName() });
    renderCrumbs();
    renderMissing();
    renderKpis();
    renderAge();
    renderCategory();
    renderRanking();
    renderFlows();
    renderMap();
  }

  function showError(msg) {
    var el = document.getElementById("error");
    el.textContent = msg;
    el.hidden = false;
  }

  function hideError() { document.getElementById("error").hidden = true; }

  function start() {
    fit();
    initCharts();
    I18N.apply();
    I18N.bindToggle(document.getElementById("lang-toggle"));
    I18N.onChange(function () {
      tick();
      setCarousel(state.carousel);
      renderAll();
      if (state.overview) stamp();
    });
    document.getElementById("crumbs").addEventListener("click", function (e) {
      var b = e.target.closest("button[data-code]");
      if (b) go(b.dataset.code, true);
    });
    window.addEventListener("popstate", function () {
      if (state.carousel) setCarousel(false);
      state.area = fromUrl();
      body.dataset.scope = "loading";
      load();
    });
    document.getElementById("carousel").addEventListener("click", function () {
      setCarousel(!state.carousel);
    });
    window.addEventListener("resize", function () {
      fit();
      if (Math.abs(ratio() - state.dpr) > 0.01) initCharts();
      else Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      state.mapBuilt = false;
      renderAll();
    });
    tick();
    setInterval(tick, 1000);
    state.area = fromUrl();
    body.dataset.carousel = "off";
    load().then(function () {
      if (state.carousel) setCarousel(true);
      scheduleRefresh();
    });
  }

  start();
})();
