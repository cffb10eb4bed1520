/* /nearest — the grid worker's phone page: where am I, which grid and branch, what is nearest.
 *
 * Everything comes from /api/v1 on the same server; nothing is loaded from the internet and
 * there is no base map: the page draws street/town boundaries, the community and the grid as
 * vector layers. Positions are WGS84 (the browser's geolocation, map taps, search results).
 */
(function () {
  "use strict";

  var I = window.I18N;
  var t = I.t;
  var KINDS = ["branch", "service_point"];
  var RESULT_COUNT = 5;
  var SEARCH_DEBOUNCE_MS = 250;
  var SEARCH_LIMIT = 8;

  var C = window.MapsvcCommon;
  var h = C.h, $ = C.$, clear = C.clear, getJSON = C.getJSON, errorText = C.errorText;

  /* ------------------------------------------------------------------ small helpers */

  /* Leaflet puts string content in as HTML: names from the database go in as text nodes. */
  var textEl = C.text;

  function debounce(fn, ms) {
    var timer = null;
    var wrapped = function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { timer = null; fn.apply(self, args); }, ms);
    };
    wrapped.cancel = function () { clearTimeout(timer); timer = null; };
    return wrapped;
  }

  function label(prefix, value) {
    if (!value) return "";
    return I.has(prefix + value) ? t(prefix + value) : value;
  }

  function formatDistance(m) {
    if (m === null || m === undefined || isNaN(m)) return "";
    if (m < 1000) {
      var n = m < 100 ? Math.round(m) : Math.round(m / 10) * 10;
      if (n >= 1000) return t("distanceKm", { n: "1.0" });
      return t("distanceM", { n: n });
    }
    var km = m / 1000;
    return t("distanceKm", { n: km < 10 ? km.toFixed(1) : km.toFixed(0) });
  }

  function formatWalk(minutes) {
    if (minutes === null || minutes === undefined || isNaN(minutes)) return "";
    return t("walk", { n: Math.max(1, Math.round(minutes)) });
  }

  /* A line of parts separated by " · ", each part kept on one line. */
  function nowrapParts(cls, parts) {
    var line = h("span", { class: cls });
    parts.filter(function (p) { return p; }).forEach(function (p, i) {
      line.appendChild(h("span", { class: "nowrap" }, (i ? t("sep") : "") + p));
    });
    return line;
  }

  function joinNonEmpty(parts) {
    return parts.filter(function (p) { return p !== null && p !== undefined && p !== ""; }).join(t("sep"));
  }

  function coordQuery(pos) {
    return "lon=" + pos.lon.toFixed(6) + "&lat=" + pos.lat.toFixed(6) + "&crs=wgs84";
  }

  /* ------------------------------------------------------------------ state */

  var state = {
    seq: 0,
    pos: null,               // {lon, lat, source: "gps"|"map"|"search", accuracy, label}
    locate: { status: "idle" },                    // idle | loading | ok | error
    lists: { branch: { status: "idle" }, service_point: { status: "idle" } },
    activeKind: "branch",
    activeIndex: null,
    notice: null,            // {titleKey, err} or {titleKey, key}
    areasLoaded: false
  };

  /* ------------------------------------------------------------------ the map */

  var mapEl = $("#map");
  var mapStatus = $("#map-status");
  var map = L.map(mapEl, {
    zoomControl: false,
    minZoom: 6,
    maxZoom: 19,
    zoomSnap: 0.25,
    zoomDelta: 1,
    tapTolerance: 20,
    worldCopyJump: false
  }).setView([38.2852, 109.7345], 10);
  L.control.zoom({ position: "bottomright" }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");

  map.createPane("areas").style.zIndex = 350;
  map.createPane("focus").style.zIndex = 380;
  // labels of areas and of "my position" sit under the numbered markers (600), not over them
  map.createPane("areaLabels").style.zIndex = 450;
  map.createPane("meLabel").style.zIndex = 590;
  map.getPane("areaLabels").style.pointerEvents = "none";
  map.getPane("meLabel").style.pointerEvents = "none";

  var areasLayer = null;
  var communityLayer = null;
  var gridLayer = null;
  var meMarker = null;
  var accuracyCircle = null;
  var resultLayer = L.layerGroup().addTo(map);
  var resultMarkers = [];

  var AREA_STYLE = {
    street: { color: "#5f7189", weight: 1, opacity: 0.9, fillColor: "#dde6f0", fillOpacity: 0.75 },
    town: { color: "#8c9a78", weight: 1, opacity: 0.9, fillColor: "#ebefe2", fillOpacity: 0.75 }
  };

  function updateZoomClasses() {
    var z = map.getZoom();
    mapEl.classList.toggle("show-town-labels", z >= 8);  // a county's towns, as the page opens
    mapEl.classList.toggle("show-street-labels", z >= 12);
  }
  map.on("zoomend", updateZoomClasses);
  updateZoomClasses();

  function loadAreas() {
    mapStatus.hidden = false;
    mapStatus.setAttribute("data-i18n", "mapLoading");
    mapStatus.textContent = t("mapLoading");
    getJSON("/api/v1/admin-areas?level=street,town&geometry=simplified").then(function (body) {
      var items = (body && body.items) || [];
      var features = items.filter(function (it) { return it.geometry; }).map(function (it) {
        return { type: "Feature", geometry: it.geometry,
                 properties: { code: it.code, name: it.name, level: it.level } };
      });
      areasLayer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        pane: "areas",
        style: function (f) { return AREA_STYLE[f.properties.level] || AREA_STYLE.street; },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(textEl(f.properties.name), {
            permanent: true, direction: "center", interactive: false, pane: "areaLabels",
            className: "area-label area-label-" + f.properties.level
          });
        }
      }).addTo(map);
      state.areasLoaded = true;
      mapEl.dataset.areas = String(features.length);
      if (features.length && !state.pos) {
        map.fitBounds(areasLayer.getBounds(), { padding: [6, 6] });
      }
      mapStatus.removeAttribute("data-i18n");
      mapStatus.textContent = t("mapHint");
      mapStatus.classList.add("is-hint");
      setTimeout(function () { mapStatus.hidden = true; }, 6000);
    }, function (err) {
      mapStatus.removeAttribute("data-i18n");
      mapStatus.textContent = t("mapLoadFailed", { msg: errorText(err) });
      mapStatus.classList.add("is-error");
      mapEl.dataset.areas = "error";
    });
  }

  map.on("click", function (e) {
    var ll = e.latlng.wrap();
    setPosition(ll.lng, ll.lat, "map");
  });

  function meIcon() {
    return L.divIcon({
      className: "me-marker",
      html: '<span class="me-dot"></span>',
      iconSize: [24, 24],
      iconAnchor: [12, 12],
      tooltipAnchor: [0, -12]
    });
  }

  function numIcon(n, kind, active) {
    return C.nodeIcon({
      className: "num-marker num-" + kind + (active ? " is-active" : ""),
      iconSize: active ? [38, 38] : [30, 30],
      iconAnchor: active ? [19, 19] : [15, 15],
      tooltipAnchor: [0, active ? -20 : -16]
    }, function () { return h("span", null, String(n)); });
  }

  function meLabel(pos) {
    if (pos.source === "gps") return t("myPosition");
    return pos.label || t("selectedPlace");
  }

  function placeMe(pos) {
    var ll = [pos.lat, pos.lon];
    if (!meMarker) {
      meMarker = L.marker(ll, { icon: meIcon(), keyboard: false, zIndexOffset: 500, interactive: false })
        .bindTooltip(textEl(meLabel(pos)), { permanent: true, direction: "top", className: "me-label", pane: "meLabel" })
        .addTo(map);
    } else {
      meMarker.setLatLng(ll);
      meMarker.setTooltipContent(textEl(meLabel(pos)));
    }
    if (accuracyCircle) { map.removeLayer(accuracyCircle); accuracyCircle = null; }
    if (pos.accuracy && pos.accuracy > 15 && pos.accuracy < 5000) {
      accuracyCircle = L.circle(ll, {
        radius: pos.accuracy, pane: "focus", interactive: false,
        color: "#1a73e8", weight: 1, opacity: 0.6, fillColor: "#1a73e8", fillOpacity: 0.08
      }).addTo(map);
    }
  }

  function clearFocus() {
    if (communityLayer) { map.removeLayer(communityLayer); communityLayer = null; }
    if (gridLayer) { map.removeLayer(gridLayer); gridLayer = null; }
  }

  function drawFocus(loc) {
    clearFocus();
    if (loc.community && loc.community.geometry) {
      communityLayer = L.geoJSON(loc.community.geometry, {
        pane: "focus",
        style: { color: "#d9730d", weight: 2, opacity: 0.95, dashArray: "6 4",
                 fillColor: "#ffb74d", fillOpacity: 0.12 }
      }).addTo(map);
    }
    if (loc.grid && loc.grid.geometry) {
      gridLayer = L.geoJSON(loc.grid.geometry, {
        pane: "focus",
        style: { color: "#b3121f", weight: 2.5, opacity: 1, fillColor: "#e53935", fillOpacity: 0.16 }
      }).addTo(map);
    }
  }

  function drawResultMarkers() {
    resultLayer.clearLayers();
    resultMarkers = [];
    var kind = state.activeKind;
    var list = state.lists[kind];
    if (list.status !== "ok") return;
    list.features.forEach(function (f, i) {
      var c = f.geometry && f.geometry.coordinates;
      if (!c) { resultMarkers.push(null); return; }
      var active = state.activeIndex === i;
      var m = L.marker([c[1], c[0]], {
        icon: numIcon(i + 1, kind, active),
        zIndexOffset: active ? 1000 : 100 - i,
        title: (i + 1) + ". " + f.properties.name,
        alt: f.properties.name,
        riseOnHover: true
      });
      m.bindTooltip(textEl(f.properties.name), { direction: "top", className: "result-label" });
      m.on("click", function () { highlight(i, { fromMap: true }); });
      m.addTo(resultLayer);
      if (active) m.openTooltip();
      resultMarkers.push(m);
    });
  }

  /* Fit the view to the position, the grid (or community) and the listed results. */
  function fitToContext(onlyIfOutside) {
    if (!state.pos) return;
    var b = L.latLngBounds([[state.pos.lat, state.pos.lon], [state.pos.lat, state.pos.lon]]);
    var focus = gridLayer || communityLayer;
    if (focus) b.extend(focus.getBounds());
    resultMarkers.forEach(function (m) { if (m) b.extend(m.getLatLng()); });
    if (onlyIfOutside && map.getBounds().pad(-0.05).contains(b)) return;
    // leave room for the zoom buttons at the bottom right
    map.fitBounds(b, { paddingTopLeft: [28, 36], paddingBottomRight: [66, 28], maxZoom: 17 });
  }

  /* ------------------------------------------------------------------ notice */

  var noticeEl = $("#notice");

  function showNotice(titleKey, err, key) {
    state.notice = { titleKey: titleKey, err: err || null, key: key || null };
    renderNotice();
  }

  function hideNotice() {
    state.notice = null;
    renderNotice();
  }

  function renderNotice() {
    var n = state.notice;
    if (!n) { noticeEl.hidden = true; return; }
    $("#notice-title").textContent = t(n.titleKey);
    $("#notice-message").textContent = n.key ? t(n.key) : errorText(n.err);
    noticeEl.className = "notice" + (n.titleKey === "outsideTitle" ? " notice-outside" : "");
    noticeEl.hidden = false;
  }

  $("#notice-close").addEventListener("click", hideNotice);

  /* ------------------------------------------------------------------ position → data */

  function setPosition(lon, lat, source, extra) {
    if (typeof lon !== "number" || typeof lat !== "number" || isNaN(lon) || isNaN(lat)) return;
    var seq = ++state.seq;
    state.pos = { lon: lon, lat: lat, source: source,
                  accuracy: extra && extra.accuracy, label: extra && extra.label };
    state.activeIndex = null;
    hideNotice();
    mapStatus.hidden = true;
    placeMe(state.pos);
    clearFocus();
    state.locate = { status: "loading" };
    KINDS.forEach(function (k) { state.lists[k] = { status: "loading" }; });
    renderWhere();
    KINDS.forEach(renderList);
    drawResultMarkers();
    if (source !== "map") map.panTo([lat, lon]);
    // a tap near the edge: bring the point (and its label) fully into view
    else map.panInside([lat, lon], { paddingTopLeft: [80, 56], paddingBottomRight: [80, 30] });

    var q = coordQuery(state.pos);
    var pending = 1 + KINDS.length;
    function done() {
      if (--pending > 0 || seq !== state.seq) return;
      if (state.locate.status === "ok") fitToContext(source === "map");
    }

    getJSON("/api/v1/locate?" + q + "&with_geometry=true").then(function (body) {
      if (seq !== state.seq) return;
      state.locate = { status: "ok", data: body };
      drawFocus(body);
      renderWhere();
    }, function (err) {
      if (seq !== state.seq) return;
      state.locate = { status: "error", err: err };
      showNotice(err.status === 404 ? "outsideTitle" : "errorTitle", err);
      renderWhere();
    }).then(done);

    KINDS.forEach(function (kind) {
      getJSON("/api/v1/nearest?" + q + "&kind=" + kind + "&k=" + RESULT_COUNT).then(function (body) {
        if (seq !== state.seq) return;
        var features = ((body && body.features) || []).slice().sort(function (a, b) {
          return (a.properties.distance_m || 0) - (b.properties.distance_m || 0);
        });
        state.lists[kind] = { status: "ok", features: features };
        renderList(kind);
        if (kind === state.activeKind) drawResultMarkers();
      }, function (err) {
        if (seq !== state.seq) return;
        state.lists[kind] = { status: "error", err: err };
        renderList(kind);
        if (kind === state.activeKind) drawResultMarkers();
      }).then(done);
    });
  }

  /* ------------------------------------------------------------------ where-am-I card */

  var whereBody = $("#where-body");

  function nameCode(field, name, code) {
    return h("span", { class: "nc" },
      h("span", { class: "name", dataset: { field: field } }, name || "—"),
      code ? h("span", { class: "code", dataset: { field: field + "-code" } }, code) : null);
  }

  function fact(labelText, valueEl, extraClass) {
    return h("div", { class: "fact" + (extraClass ? " " + extraClass : "") },
      h("dt", { text: labelText }), h("dd", null, valueEl));
  }

  function coordsLine() {
    var p = state.pos;
    if (!p) return null;
    var parts = [t("coords") + " " + p.lon.toFixed(5) + ", " + p.lat.toFixed(5) + " (WGS84)"];
    if (p.source === "gps" && p.accuracy) parts.push(t("accuracy", { n: Math.round(p.accuracy) }));
    return h("p", { class: "coords muted" }, parts.join(t("sep")));
  }

  function renderWhere() {
    clear(whereBody);
    var s = state.locate;
    whereBody.parentNode.dataset.status = s.status;
    if (s.status === "idle") {
      whereBody.appendChild(h("p", { class: "muted" }, t("whereEmpty")));
      return;
    }
    if (s.status === "loading") {
      whereBody.appendChild(h("p", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("whereLoading")));
      whereBody.appendChild(coordsLine());
      return;
    }
    if (s.status === "error") {
      whereBody.appendChild(h("p", { class: "where-error", dataset: { field: "error" } },
        t(s.err && s.err.status === 404 ? "whereOutside" : "whereUnknown")));
      whereBody.appendChild(coordsLine());
      return;
    }
    var d = s.data || {};
    var dl = h("dl", { class: "facts" });
    var st = d.street || {};
    dl.appendChild(fact(st.level === "town" ? t("town") : st.level === "street" ? t("street") : t("streetOrTown"),
      nameCode("street", st.name, st.code)));
    var cm = d.community || {};
    dl.appendChild(fact(cm.level === "village" ? t("village") : t("community"),
      nameCode("community", cm.name, cm.code)));

    var g = d.grid;
    if (g) {
      var gridVal = h("span", null, nameCode("grid", g.name, g.code));
      var sub = [];
      if (g.population !== null && g.population !== undefined) {
        sub.push(t("population", { population: g.population, households: g.households || 0 }));
      }
      if (g.party_group) sub.push(t("partyGroup") + " " + g.party_group);
      if (sub.length) gridVal.appendChild(h("span", { class: "sub" }, joinNonEmpty(sub)));
      dl.appendChild(fact(t("grid"), gridVal));
      dl.appendChild(fact(t("gridWorker"), g.grid_worker
        ? h("span", { class: "nc" },
            h("span", { class: "name", dataset: { field: "grid-worker" } }, g.grid_worker),
            g.grid_worker_phone ? h("span", { class: "phone", dataset: { field: "grid-worker-phone" } }, g.grid_worker_phone) : null)
        : h("span", { class: "muted", dataset: { field: "grid-worker" } }, t("noWorker"))));
    } else {
      dl.appendChild(fact(t("grid"), h("span", { class: "muted", dataset: { field: "grid" } }, t("noGrid"))));
    }

    var b = d.branch;
    dl.appendChild(fact(t("responsibleBranch"), b
      ? h("span", null,
          h("span", { class: "name", dataset: { field: "branch" } }, b.name),
          h("span", { class: "sub" }, joinNonEmpty([label("org_", b.level), label("cat_", b.category),
            b.secretary ? t("secretary") + " " + b.secretary : ""])))
      : h("span", { class: "muted", dataset: { field: "branch" } }, t("noBranch"))));

    var sp = d.nearest_service_point;
    var spVal;
    if (sp) {
      var dist = sp.distance_m;
      spVal = h("span", null,
        h("span", { class: "name", dataset: { field: "service-point" } }, sp.name),
        h("span", { class: "sub" }, label("sp_", sp.level)),
        nowrapParts("sub", [formatDistance(dist), formatWalk(sp.walk_minutes)]));
      var nav = navLinks(sp.navigation, sp.name, true);
      if (nav) spVal.appendChild(nav);
    } else {
      spVal = h("span", { class: "muted", dataset: { field: "service-point" } }, t("noServicePoint"));
    }
    dl.appendChild(fact(t("nearestServicePoint"), spVal));
    whereBody.appendChild(dl);
    whereBody.appendChild(coordsLine());
  }

  /* ------------------------------------------------------------------ nearest lists */

  function navLinks(navigation, name, compact) {
    if (!navigation || (!navigation.gaode && !navigation.baidu)) return null;
    var box = h("div", { class: "nav-links" + (compact ? " nav-compact" : "") });
    if (navigation.gaode) {
      box.appendChild(h("a", { class: "btn btn-nav nav-gaode", href: navigation.gaode, target: "_blank",
        rel: "noopener noreferrer", "aria-label": t("navGaodeLabel", { name: name }) }, t("navGaode")));
    }
    if (navigation.baidu) {
      box.appendChild(h("a", { class: "btn btn-nav nav-baidu", href: navigation.baidu, target: "_blank",
        rel: "noopener noreferrer", "aria-label": t("navBaiduLabel", { name: name }) }, t("navBaidu")));
    }
    return box;
  }

  function resultItem(kind, f, i) {
    var p = f.properties || {};
    var meta = kind === "branch"
      ? joinNonEmpty([label("org_", p.level), label("cat_", p.category)])
      : joinNonEmpty([label("sp_", p.level), p.opening_hours ? t("openingHours") + " " + p.opening_hours : ""]);
    var walk = formatWalk(p.walk_minutes);
    var net = (p.network_distance_m !== null && p.network_distance_m !== undefined)
      ? t("networkDistance", { d: formatDistance(p.network_distance_m) }) : "";
    var distLine = h("span", { class: "result-dist" }, h("strong", { class: "dist" }, formatDistance(p.distance_m)));
    [walk, net].forEach(function (part) {
      if (part) distLine.appendChild(h("span", { class: "nowrap" }, t("sep") + part));
    });
    var active = state.activeIndex === i;
    var main = h("button", {
        class: "result-main", type: "button", "aria-pressed": active ? "true" : "false",
        title: t("showOnMap", { n: i + 1, name: p.name }),
        onclick: function () { highlight(i, { fromList: true }); }
      },
      h("span", { class: "num num-" + kind, "aria-hidden": "true" }, String(i + 1)),
      h("span", { class: "result-text" },
        h("span", { class: "result-name" }, p.name || "—"),
        meta ? h("span", { class: "result-meta" }, meta) : null,
        distLine,
        p.address ? h("span", { class: "result-addr" }, p.address) : null));
    var li = h("li", {
      class: "result" + (active ? " is-active" : ""),
      dataset: { index: String(i), distanceM: String(p.distance_m), id: String(p.id !== undefined ? p.id : f.id) }
    }, main);
    if (kind === "service_point" && p.services && p.services.length) {
      var chips = h("ul", { class: "chips" });
      p.services.slice(0, 6).forEach(function (s) { chips.appendChild(h("li", null, s)); });
      li.appendChild(chips);
    }
    var nav = navLinks(p.navigation, p.name, false);
    if (nav) li.appendChild(nav);
    return li;
  }

  function renderList(kind) {
    var panel = $("#panel-" + kind);
    var status = $(".list-status", panel);
    var ol = $(".result-list", panel);
    var s = state.lists[kind];
    panel.dataset.status = s.status;
    clear(ol);
    status.removeAttribute("data-i18n");
    status.className = "list-status";
    status.hidden = false;
    clear(status);
    if (s.status === "idle") {
      status.classList.add("muted");
      status.textContent = t("listEmptyPrompt");
    } else if (s.status === "loading") {
      status.classList.add("loading");
      status.appendChild(h("span", { class: "spinner", "aria-hidden": "true" }));
      status.appendChild(document.createTextNode(t("listLoading")));
    } else if (s.status === "error") {
      status.classList.add("error");
      status.textContent = t("listFailed", { msg: errorText(s.err) });
    } else if (!s.features.length) {
      status.classList.add("muted");
      status.textContent = t("listEmpty");
    } else {
      status.hidden = true;
      s.features.forEach(function (f, i) { ol.appendChild(resultItem(kind, f, i)); });
    }
  }

  function highlight(i, opts) {
    state.activeIndex = i;
    var kind = state.activeKind;
    $("#panel-" + kind).querySelectorAll(".result").forEach(function (li) {
      var on = Number(li.dataset.index) === i;
      li.classList.toggle("is-active", on);
      var btn = $(".result-main", li);
      if (btn) btn.setAttribute("aria-pressed", on ? "true" : "false");
      if (on && opts && opts.fromMap) li.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
    resultMarkers.forEach(function (m, j) {
      if (!m) return;
      var on = j === i;
      m.setIcon(numIcon(j + 1, kind, on));
      m.setZIndexOffset(on ? 1000 : 100 - j);
      if (on) m.openTooltip(); else m.closeTooltip();
    });
    var m = resultMarkers[i];
    // keep clear of the zoom buttons (right) and the tooltip above the marker
    if (m && opts && opts.fromList) {
      map.panInside(m.getLatLng(), { paddingTopLeft: [120, 70], paddingBottomRight: [125, 40] });
    }
  }

  /* ------------------------------------------------------------------ tabs */

  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tab"));

  function selectTab(kind, focus) {
    var changed = state.activeKind !== kind;
    state.activeKind = kind;
    if (changed) {
      state.activeIndex = null;
      renderList(kind);
    }
    tabs.forEach(function (tab) {
      var on = tab.dataset.kind === kind;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $("#panel-" + tab.dataset.kind).hidden = !on;
      if (on && focus) tab.focus();
    });
    document.body.dataset.kind = kind;
    drawResultMarkers();
    if (changed && state.lists[kind].status === "ok" && state.locate.status === "ok") fitToContext(false);
  }

  tabs.forEach(function (tab, idx) {
    tab.addEventListener("click", function () { selectTab(tab.dataset.kind); });
    tab.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        var next = tabs[(idx + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        selectTab(next.dataset.kind, true);
        e.preventDefault();
      }
    });
  });

  /* ------------------------------------------------------------------ locate button */

  var locateBtn = $("#locate-btn");

  function setLocating(on) {
    locateBtn.disabled = on;
    locateBtn.setAttribute("aria-busy", on ? "true" : "false");
    locateBtn.classList.toggle("is-busy", on);
    $(".locate-text", locateBtn).textContent = on ? t("locating") : t("locate");
  }

  locateBtn.addEventListener("click", function () {
    if (!navigator.geolocation) { showNotice("geoTitle", null, "geoUnsupported"); return; }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(function (p) {
      setLocating(false);
      setPosition(p.coords.longitude, p.coords.latitude, "gps", { accuracy: p.coords.accuracy });
    }, function (err) {
      setLocating(false);
      var key = "geoUnavailable";
      if (err.code === 1) key = window.isSecureContext === false ? "geoInsecure" : "geoDenied";
      else if (err.code === 3) key = "geoTimeout";
      showNotice("geoTitle", null, key);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });

  /* ------------------------------------------------------------------ search */

  var input = $("#search-input");
  var listbox = $("#search-list");
  var searchStatus = $("#search-status");
  var search = { seq: 0, items: [], active: -1, q: "" };

  function kindLabel(item) {
    if (item.kind === "admin_area") return label("kind_", item.level);
    return label("kind_", item.kind);
  }

  function closeSuggestions() {
    listbox.hidden = true;
    searchStatus.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    search.active = -1;
  }

  function setActiveSuggestion(i) {
    search.active = i;
    listbox.querySelectorAll("[role=option]").forEach(function (el, j) {
      el.setAttribute("aria-selected", j === i ? "true" : "false");
      if (j === i) el.scrollIntoView({ block: "nearest" });
    });
    if (i >= 0) input.setAttribute("aria-activedescendant", "sugg-" + i);
    else input.removeAttribute("aria-activedescendant");
  }

  function choose(item) {
    if (!item) return;
    // a search still waiting (debounce) or under way must not reopen the list
    runSearch.cancel();
    search.seq++;
    search.q = item.name;
    search.items = [];
    input.value = item.name;
    closeSuggestions();
    input.blur();
    if (typeof item.lon === "number" && typeof item.lat === "number") {
      setPosition(item.lon, item.lat, "search", { label: item.name });
    }
  }

  function renderSuggestions() {
    clear(listbox);
    search.items.forEach(function (item, i) {
      var li = h("li", { id: "sugg-" + i, class: "suggestion", role: "option", "aria-selected": "false",
                         dataset: { kind: item.kind, code: item.code || "" } },
        h("span", { class: "sugg-main" },
          h("span", { class: "sugg-name" }, item.name),
          h("span", { class: "sugg-kind kind-" + item.kind }, kindLabel(item))),
        h("span", { class: "sugg-sub" }, joinNonEmpty([item.code, item.detail])));
      li.addEventListener("click", function () { choose(item); });
      listbox.appendChild(li);
    });
    listbox.hidden = search.items.length === 0;
    input.setAttribute("aria-expanded", search.items.length ? "true" : "false");
  }

  function setSearchStatus(text, cls) {
    searchStatus.textContent = text;
    searchStatus.className = "suggestions-status" + (cls ? " " + cls : "");
    searchStatus.hidden = !text;
  }

  var runSearch = debounce(function () {
    var q = input.value.trim();
    search.q = q;
    if (!q) { search.items = []; renderSuggestions(); closeSuggestions(); return; }
    var seq = ++search.seq;
    setSearchStatus(t("searching"), "loading");
    getJSON("/api/v1/search?q=" + encodeURIComponent(q) + "&limit=" + SEARCH_LIMIT).then(function (body) {
      if (seq !== search.seq) return;
      search.items = (body && body.items) || [];
      search.active = -1;
      renderSuggestions();
      setSearchStatus(search.items.length ? "" : t("searchNoResult", { q: q }), "");
    }, function (err) {
      if (seq !== search.seq) return;
      search.items = [];
      renderSuggestions();
      setSearchStatus(err && err.body && err.body.message ? errorText(err) : t("searchFailed"), "error");
    });
  }, SEARCH_DEBOUNCE_MS);

  input.addEventListener("input", runSearch);
  input.addEventListener("focus", function () {
    if (search.items.length && input.value.trim() === search.q) renderSuggestions();
  });
  input.addEventListener("keydown", function (e) {
    var n = search.items.length;
    if (e.key === "ArrowDown" && n) { setActiveSuggestion((search.active + 1) % n); e.preventDefault(); }
    else if (e.key === "ArrowUp" && n) { setActiveSuggestion((search.active - 1 + n) % n); e.preventDefault(); }
    else if (e.key === "Enter") {
      if (n && !listbox.hidden) { choose(search.items[search.active >= 0 ? search.active : 0]); e.preventDefault(); }
    } else if (e.key === "Escape") { closeSuggestions(); }
  });
  // keep the input focused while a suggestion is pressed, so its click lands
  listbox.addEventListener("mousedown", function (e) { e.preventDefault(); });
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest(".search")) closeSuggestions();
  });

  /* ------------------------------------------------------------------ language */

  I.bindToggle($("#lang-toggle"));

  I.onChange(function () {
    renderWhere();
    KINDS.forEach(renderList);
    renderNotice();
    if (search.items.length) renderSuggestions();
    if (!listbox.hidden || search.items.length) closeSuggestions();
    if (meMarker && state.pos) meMarker.setTooltipContent(textEl(meLabel(state.pos)));
    setLocating(locateBtn.classList.contains("is-busy"));
    if (!mapStatus.hidden && !mapStatus.hasAttribute("data-i18n")) {
      mapStatus.textContent = mapStatus.classList.contains("is-error") ? mapStatus.textContent : t("mapHint");
    }
  });

  /* ------------------------------------------------------------------ start */

  I.apply();
  renderWhere();
  KINDS.forEach(renderList);
  selectTab("branch");
  loadAreas();

  // for tests and debugging
  window.mapsvcNearest = { map: map, state: state, setPosition: setPosition };
})();
