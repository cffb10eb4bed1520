/* /map — the layered electronic map. folium writes the page and the Leaflet map; this script
 * takes the map over: the layers of the catalog (vector tiles, clustered points, aggregates at
 * low zoom), the layer switcher with its legend, the org record panel, search and export.
 *
 * MapPage.start(map, config) is called by the page; config comes from mapsvc/webmap/page.py:
 *   layers: [{id, title: {zh, en}, kind: point|line|polygon, render: tiles|cluster, tiles,
 *             items, minzoom, maxzoom, style, visible, record, properties, aggregate}],
 *   bounds: [[s, w], [n, e]] (the city view), urls: {search, summary, export}.
 * State for tests and the benchmark sits on the map container: data-state (loading|ready),
 * data-drawn-<layer id> (features drawn), data-panel (the record shown).
 */
(function (global) {
  "use strict";

  var I = global.I18N;
  var t = I.t;

  var C = global.MapsvcCommon;
  var h = C.h, $ = C.$, getJSON = C.getJSON, distance = C.distance;

  function title(def) { return I.isZh() ? def.title.zh : (def.title.en || def.title.zh); }

  function label(prefix, value) {
    return value && I.has(prefix + value) ? t(prefix + value) : (value || "—");
  }

  // Leaflet 1.8 dropped L.DomEvent.fakeStop, which VectorGrid 1.3.0's canvas click handler calls.
  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = L.DomEvent.stop;

  /* ---------------------------------------------------------------- styles */
  function pathStyle(def) {
    var s = def.style || {};
    var o = {
      color: s.color || "#555", weight: s.weight === undefined ? 1 : s.weight,
      opacity: s.opacity === undefined ? 1 : s.opacity,
      fill: def.kind !== "line", fillColor: s.fillColor || s.color || "#555",
      fillOpacity: s.fillOpacity === undefined ? 0.2 : s.fillOpacity
    };
    if (s.dashArray) o.dashArray = s.dashArray;
    if (def.kind === "point") {
      o.radius = s.radius || 5;
      o.fill = true;
      o.fillOpacity = s.fillOpacity || 0.9;
      o.color = "#fff";  // a white ring keeps crowded points apart
    }
    return o;
  }

  /* A function of the feature's properties when the layer is coloured by a property. */
  function featureStyle(def) {
    var base = pathStyle(def), s = def.style || {};
    if (!s.colorBy) return function () { return base; };
    var cache = {};
    return function (props) {
      var v = props && props[s.colorBy];
      if (!cache[v]) {
        var c = (s.colors || {})[v];
        cache[v] = c ? Object.assign({}, base, { fillColor: c }, def.kind === "point" ? {} : { color: c }) : base;
      }
      return cache[v];
    };
  }

  function swatch(def, colour) {
    var s = pathStyle(def);
    var el = h("i", { class: "sw sw-" + def.kind, "aria-hidden": "true" });
    el.style.borderColor = def.kind === "point" ? (def.style.color || s.fillColor) : s.color;
    if (def.kind === "line") {
      el.style.borderTopWidth = Math.max(2, Math.min(s.weight, 4)) + "px";
      if (s.dashArray) el.style.borderTopStyle = "dashed";
    } else {
      el.style.background = colour || s.fillColor;
      if (def.kind !== "point") el.style.background = hexAlpha(s.fillColor, Math.max(0.35, s.fillOpacity + 0.25));
    }
    return el;
  }

  function hexAlpha(hex, a) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) return hex;
    return "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," + parseInt(m[3], 16) + "," + a + ")";
  }

  /* The values of a coloured-by property, with their labels: the legend's second line. */
  function legendValues(def) {
    var s = def.style || {};
    if (!s.colorBy || !s.colors) return null;
    var prop = (def.properties || []).filter(function (p) { return p.name === s.colorBy; })[0];
    var ul = h("ul", { class: "legend-values" });
    Object.keys(s.colors).forEach(function (v) {
      var name = valueLabel(prop, v);
      var dot = h("i", { "aria-hidden": "true" });
      dot.style.background = s.colors[v];
      ul.appendChild(h("li", {}, [dot, name]));
    });
    return ul;
  }

  /* A property value as people read it: enum labels in Chinese, or the English dictionary. */
  function valueLabel(prop, v) {
    if (!prop || !prop.enum || !Object.prototype.hasOwnProperty.call(prop.enum, v)) return String(v);
    if (I.isZh()) return prop.enum[v];
    var keys = ["org_", "cat_", "sp_", "kind_", "map_road_"];
    for (var i = 0; i < keys.length; i++) if (I.has(keys[i] + v)) return t(keys[i] + v);
    return v.replace(/_/g, " ");
  }

  /* ---------------------------------------------------------------- the page */
  function start(map, config) {
    var container = map.getContainer();
    container.dataset.state = "loading";
    var state = { layers: {}, panel: null, pending: 0 };
    var panes = ["polygon", "line", "point"];
    panes.forEach(function (kind, i) {
      map.createPane("mp-" + kind).style.zIndex = String(410 + i * 20);
    });
    map.fitBounds(config.bounds);
    map.attributionControl && map.attributionControl.setPrefix(false);

    function busy(delta) {
      state.pending += delta;
      container.dataset.state = state.pending > 0 ? "loading" : "ready";
      // for the benchmark (bench/map_page.py): when the map last finished drawing
      if (!state.pending && global.performance && performance.mark) performance.mark("mapsvc-ready");
    }

    /* Each layer counts what it has drawn, for people (the legend) and for tests. */
    function setDrawn(id, n) {
      var entry = state.layers[id];
      entry.drawn = n;
      container.setAttribute("data-drawn-" + id.replace(/_/g, "-"), String(n));
      var badge = document.getElementById("count-" + id);
      if (badge) badge.textContent = entry.on ? I.num(n) : "";
    }

    var anonymous = 0;
    function featureId(f) {
      var p = f.properties || {};
      if (p.id === undefined && f.id !== undefined && f.properties) p.id = f.id;  // the MVT id: the record's
      if (p.id !== undefined) return p.id;
      return "n" + (++anonymous);  // features without an id (aggregates)
    }

    function tileLayer(def) {
      var style = featureStyle(def);
      var styles = new Proxy({}, { get: function () { return style; } });  // any MVT layer name
      var layer = L.vectorGrid.protobuf(def.tiles, {
        rendererFactory: L.canvas.tile,
        vectorTileLayerStyles: styles,
        interactive: true,  // makes hit areas; the clicks themselves: see featureAt
        getFeatureId: featureId,
        pane: "mp-" + def.kind,
        minZoom: def.minzoom || 0,
        maxNativeZoom: def.maxzoom || 18,
        bounds: def.bounds ? L.latLngBounds(def.bounds) : undefined,  // no tiles asked outside
        maxZoom: 20
      });
      var loading = 0;
      layer.on("loading", function () { if (!loading++) busy(1); });
      layer.on("load", function () {
        // VectorGrid keeps each tile's features in _vectorTiles[key]._features (1.3.0); a
        // feature crossing tiles is counted once when it has an id
        var seen = {};
        Object.keys(layer._vectorTiles || {}).forEach(function (k) {
          Object.keys(layer._vectorTiles[k]._features || {}).forEach(function (id) { seen[id] = true; });
        });
        setDrawn(def.id, Object.keys(seen).length);
        if (loading) { loading = 0; busy(-1); }
      });
      layer.on("tileerror", function () { setDrawn(def.id, state.layers[def.id].drawn || 0); });
      return layer;
    }

    /* Clicks on vector tiles. Each layer draws on canvases of its own and the topmost canvas
     * would swallow every click; so the canvases let clicks through (map.css) and the map asks
     * the layers, top one first, which feature lies under the pointer. VectorGrid 1.3.0 keeps a
     * tile's canvas renderer in _vectorTiles["x:y:z"], its drawn features in _layers, each with
     * _containsPoint (Leaflet's own hit test). Its click events are not used: under Leaflet 1.9
     * they fail for small points (they have no getLatLng). */
    var stacking = { point: 3, line: 2, polygon: 1 };
    function featureAt(layer, e) {
      var z = layer._tileZoom;
      if (z === undefined || !layer._vectorTiles) return null;
      var size = layer.getTileSize(), px = map.project(e.latlng, z);  // pixels at the tiles' zoom
      var c = px.unscaleBy(size).floor();
      var tile = layer._vectorTiles[c.x + ":" + c.y + ":" + z];
      if (!tile || !tile._layers) return null;
      var point = px.subtract(c.scaleBy(size)), found = null;  // in the tile's own pixels
      Object.keys(tile._layers).forEach(function (id) {
        var f = tile._layers[id];
        if (f._containsPoint && f._containsPoint(point)) found = f;  // the last drawn is on top
      });
      return found;
    }
    map.on("click", function (e) {
      var order = config.layers.filter(function (d) {
        return d.render !== "cluster" && map.hasLayer(state.layers[d.id].layer);
      }).sort(function (a, b) {
        return (stacking[b.kind] - stacking[a.kind]) || (config.layers.indexOf(b) - config.layers.indexOf(a));
      });
      for (var i = 0; i < order.length; i++) {
        var f = featureAt(state.layers[order[i].id].layer, e);
        if (f) { onFeatureClick(order[i], f.properties || {}, e.latlng); return; }
      }
    });

    function clusterLayer(def) {
      var group = clusterGroup(def, false);
      var style = featureStyle(def);
      var timer = null, seq = 0;
      function refresh() {
        if (!map.hasLayer(group)) return;
        var b = map.getBounds();
        var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
        var mine = ++seq;
        busy(1);
        getJSON(def.items + (def.items.indexOf("?") < 0 ? "?" : "&") + "bbox=" + bbox.join(",") + "&limit=" + config.itemLimit)
          .then(function (fc) {
            if (mine !== seq) return;
            group.clearLayers();
            var markers = fc.features.filter(function (f) { return f.geometry && f.geometry.type === "Point"; })
              .map(function (f) {
                var c = f.geometry.coordinates;
                var m = L.circleMarker([c[1], c[0]], Object.assign({}, style(f.properties), { pane: "mp-point", bubblingMouseEvents: false }));
                m.bindTooltip(C.text(f.properties.name || f.properties.code || ""), { direction: "top", offset: [0, -6] });
                m.on("click", function (e) { onFeatureClick(def, Object.assign({ id: f.id }, f.properties), e.latlng); });
                return m;
              });
            group.addLayers(markers);
            setDrawn(def.id, markers.length);
          })
          .catch(function (err) { showStatus(err.message, true); })
          .then(function () { busy(-1); });
      }
      group.on("add", refresh);
      map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
      return group;
    }

    /* A bubble with a count, in the layer's colour, sized by the count. */
    function bubble(n, colour, name, square) {
      var size = square ? (n < 100 ? 24 : 30) : (n < 100 ? 34 : (n < 1000 ? 42 : 50));
      return C.nodeIcon({ className: "mp-bubble" + (square ? " mp-bubble-square" : ""), iconSize: [size, size] }, function () {
        var dot = h("div", { class: "mp-bubble-dot" }, I.num(n));
        dot.style.background = colour;
        return [dot, name ? h("span", { class: "mp-bubble-name", text: name }) : null];
      });
    }

    function clusterGroup(def, sum) {
      var colour = (def.style && (def.style.fillColor || def.style.color)) || "#b3121f";
      // clustered points sit under the aggregate bubbles (markerPane), as squares
      return L.markerClusterGroup({
        showCoverageOnHover: false, maxClusterRadius: sum ? 60 : 40, chunkedLoading: true,
        spiderfyOnMaxZoom: !sum, clusterPane: sum ? "markerPane" : "mp-point",
        iconCreateFunction: function (cluster) {
          var n = sum ? cluster.getAllChildMarkers().reduce(function (a, m) { return a + m.count; }, 0)
                      : cluster.getChildCount();
          return bubble(n, colour, null, !sum);
        }
      });
    }

    /* Aggregates by area: the level that fits the zoom (config: levels [{level, below}],
     * cities at a province's view, counties at a city's, streets and towns at a county's).
     * One answer per level, fetched once and shared by the bubbles and the labels. */
    var AGG = (config.layers.filter(function (d) { return d.aggregate; })[0] || {}).aggregate;
    var AGG_LEVELS = (AGG && AGG.levels) || [{ level: "street", below: 13 }];
    var AGG_URL = (AGG && AGG.url) || "/api/v1/branch-counts";
    var countsCache = {};

    function levelAt(z) {
      for (var i = 0; i < AGG_LEVELS.length; i++) if (z < AGG_LEVELS[i].below) return AGG_LEVELS[i];
      return AGG_LEVELS[AGG_LEVELS.length - 1];
    }

    function countsOf(level) {
      if (!countsCache[level]) {
        countsCache[level] = getJSON(AGG_URL + "?level=" + encodeURIComponent(level))
          .catch(function (err) { delete countsCache[level]; throw err; });
      }
      return countsCache[level];
    }

    /* Below a layer's own zoom range its points are summed per area of the level that fits
     * the zoom by the server; bubbles that would overlap are merged (their counts added) by
     * markercluster. The area's name is the label's (areaLabels), not the bubble's. */
    function aggregateLayer(def) {
      var group = clusterGroup(def, true);
      var colour = (def.style && def.style.color) || "#b3121f";
      var shown = null;
      function show() {
        var lv = levelAt(map.getZoom());
        if (lv.level === shown) { setDrawn(def.id, group.getLayers().length); return; }
        shown = lv.level;
        busy(1);
        countsOf(lv.level).then(function (fc) {
          if (shown !== lv.level || !map.hasLayer(group)) return; // the zoom moved on
          group.clearLayers();
          var markers = fc.features.filter(function (f) { return f.properties.count > 0; }).map(function (f) {
            var n = f.properties.count, c = f.geometry.coordinates;
            var m = L.marker([c[1], c[0]], { icon: bubble(n, colour, null), keyboard: false });
            m.count = n;
            m.bindTooltip(C.liveText(function () { return f.properties.name + t("sep") + t("map_aggregateTip", { n: I.num(n), layer: title(def) }); }));
            // a click zooms to where this area's parts show (the next level, or the branches)
            m.on("click", function () { map.setView(m.getLatLng(), lv.below); });
            return m;
          });
          group.addLayers(markers);
          container.dataset.aggregateLevel = lv.level;
          setDrawn(def.id, markers.length);
        }).catch(function (err) { showStatus(err.message, true); }).then(function () { busy(-1); });
      }
      group.on("add", show);
      group.on("remove", function () { shown = null; group.clearLayers(); });
      map.on("zoomend", function () { if (map.hasLayer(group)) show(); });
      return group;
    }

    /* Area names at their label points, for the level that fits the zoom; a label that would
     * overlap one already placed (larger areas, by members, go first) is left out. */
    function areaLabels() {
      var pane = map.createPane("mp-labels");
      pane.style.zIndex = "590";
      pane.style.pointerEvents = "none";
      var group = L.layerGroup().addTo(map);
      var level = null, rows = [], seq = 0;
      function place() {
        group.clearLayers();
        var taken = [], size = map.getSize(), n = 0;
        rows.forEach(function (r) {
          var p = map.latLngToContainerPoint(r.latlng);
          var w = r.name.length * 14 + 10, hgt = 20;
          var box = { x0: p.x - w / 2, x1: p.x + w / 2, y0: p.y - 30 - hgt, y1: p.y - 30 };
          if (box.x1 < 0 || box.x0 > size.x || box.y1 < 0 || box.y0 > size.y) return;
          var clash = taken.some(function (o) { return box.x0 < o.x1 && o.x0 < box.x1 && box.y0 < o.y1 && o.y0 < box.y1; });
          if (clash) return;
          taken.push(box);
          n += 1;
          // above the point: the count bubble sits on the point itself
          L.marker(r.latlng, { pane: "mp-labels", interactive: false, keyboard: false,
            icon: L.divIcon({ className: "mp-area-label mp-area-" + r.level, html: "",
                              iconSize: [w, hgt], iconAnchor: [w / 2, 30 + hgt] }) })
            .on("add", function () { this.getElement().textContent = r.name; })
            .addTo(group);
        });
        container.dataset.labels = String(n);
        container.dataset.labelLevel = level || "";
      }
      function refresh() {
        var lv = levelAt(map.getZoom()).level, mine = ++seq;
        if (lv === level) { place(); return; }
        countsOf(lv).then(function (fc) {
          if (mine !== seq) return;
          level = lv;
          rows = fc.features.filter(function (f) { return f.geometry; }).map(function (f) {
            var c = f.geometry.coordinates;
            return { name: f.properties.name, level: f.properties.level, members: f.properties.members || 0,
                     latlng: L.latLng(c[1], c[0]) };
          }).sort(function (a, b) { return b.members - a.members; });
          place();
        }).catch(function (err) { showStatus(err.message, true); });
      }
      map.on("moveend", refresh);
      refresh();
      return group;
    }
    state.labels = areaLabels();

    config.layers.forEach(function (def) {
      var entry = { def: def, on: false, drawn: 0 };
      entry.layer = def.render === "cluster" ? clusterLayer(def) : tileLayer(def);
      if (def.aggregate) entry.aggregate = aggregateLayer(def);
      state.layers[def.id] = entry;
    });

    /* Which of a layer's parts belongs on the map at this zoom. */
    function sync(entry) {
      var def = entry.def, z = map.getZoom();
      var low = !!entry.aggregate && z < def.aggregate.below;
      var main = entry.on && !low && (def.render === "cluster" || z >= (def.minzoom || 0));
      if (main && !map.hasLayer(entry.layer)) map.addLayer(entry.layer);
      if (!main && map.hasLayer(entry.layer)) map.removeLayer(entry.layer);
      if (entry.aggregate) {
        var agg = entry.on && low;
        if (agg && !map.hasLayer(entry.aggregate)) map.addLayer(entry.aggregate);
        if (!agg && map.hasLayer(entry.aggregate)) map.removeLayer(entry.aggregate);
      }
      var row = document.getElementById("layer-row-" + def.id);
      if (row) {
        var hint = !entry.on ? "" : (low ? t("map_aggregatedAt", { level: t("map_level_" + levelAt(z).level) }) : (!main ? t("map_zoomIn", { z: def.minzoom }) : ""));
        row.querySelector(".layer-hint").textContent = hint;
      }
      if (!entry.on) setDrawn(def.id, 0);
    }
    map.on("zoomend", function () { Object.keys(state.layers).forEach(function (id) { sync(state.layers[id]); }); });

    function setOn(id, on) {
      var entry = state.layers[id];
      entry.on = on;
      var box = document.getElementById("layer-" + id);
      if (box) box.checked = on;
      sync(entry);
    }

    /* ---------------------------------------------------------------- layer switcher + legend */
    function buildLayerList() {
      var list = $("#layer-list");
      list.textContent = "";
      config.layers.forEach(function (def) {
        var entry = state.layers[def.id];
        var box = h("input", { type: "checkbox", id: "layer-" + def.id, "data-layer": def.id });
        box.checked = entry.on;
        box.addEventListener("change", function () { setOn(def.id, box.checked); });
        list.appendChild(h("li", { id: "layer-row-" + def.id, class: "layer-row", "data-layer": def.id }, [
          h("label", { for: "layer-" + def.id }, [box, swatch(def), h("span", { class: "layer-title", text: title(def) })]),
          h("span", { class: "layer-count", id: "count-" + def.id, text: entry.on && entry.drawn ? I.num(entry.drawn) : "" }),
          legendValues(def),
          h("span", { class: "layer-hint" })
        ]));
        sync(entry);
      });
    }

    /* ---------------------------------------------------------------- the record panel */
    var panel = $("#record");
    function openPanel(content) {
      var body = $("#record-body");
      body.textContent = "";
      content.forEach(function (c) { body.appendChild(c); });
      panel.hidden = false;
      document.body.classList.add("has-record");
    }
    $("#record-close").addEventListener("click", function () {
      panel.hidden = true;
      document.body.classList.remove("has-record");
      state.panel = null;
      container.dataset.panel = "";
      select(null);
    });

    function dl(rows) {
      var list = h("dl", { class: "facts" });
      rows.forEach(function (r) {
        if (!r) return;
        list.appendChild(h("dt", { text: r[0] }));
        list.appendChild(h("dd", {}, [r[1]]));
      });
      return list;
    }

    function renderOrg(org) {
      var chain = h("ol", { class: "chain", "aria-label": t("map_parents") });
      org.parents.forEach(function (p) {
        var a = h("a", { href: "#", text: p.name, title: p.code });
        a.addEventListener("click", function (e) { e.preventDefault(); showOrg(p.id); });
        chain.appendChild(h("li", {}, [a]));
      });
      chain.appendChild(h("li", { "aria-current": "true", text: org.name }));
      var sp = org.nearest_service_point;
      var spText = sp ? sp.name + t("sep") + distance(sp.network_distance_m !== null ? sp.network_distance_m : sp.distance_m) +
        t("sep") + t("walk", { n: Math.max(1, Math.round(sp.walk_minutes)) }) : t("noServicePoint");
      var spEl = sp ? h("a", { href: "#", text: spText }) : document.createTextNode(spText);
      if (sp) spEl.addEventListener("click", function (e) { e.preventDefault(); map.setView([sp.location[1], sp.location[0]], Math.max(map.getZoom(), 15)); });
      var members = t("map_membersValue", { n: I.num(org.members), full: I.num(org.full_members), prob: I.num(org.probationary_members) });
      var mobile = t("map_mobileValue", { out: I.num(org.mobile_out), in: I.num(org.mobile_in) });
      openPanel([
        h("p", { class: "kind", text: label("org_", org.level) + t("sep") + label("cat_", org.category) +
          (org.status === "dissolved" ? t("sep") + t("map_dissolved") : "") }),
        h("h2", { id: "record-title", text: org.name }),
        h("p", { class: "code", text: t("map_code") + " " + org.code }),
        dl([
          [t("map_parents"), org.parents.length ? chain : document.createTextNode("—")],
          [t("secretary"), document.createTextNode(org.secretary || "—")],
          [t("map_members"), document.createTextNode(members)],
          [t("map_mobile"), document.createTextNode(mobile)],
          org.child_orgs ? [t("map_childOrgs"), document.createTextNode(I.num(org.child_orgs))] : null,
          [t("nearestServicePoint"), spEl],
          org.admin_area_name ? [t("map_area"), document.createTextNode(org.admin_area_name)] : null,
          org.address ? [t("address"), document.createTextNode(org.address)] : null
        ])
      ]);
    }

    /* A ring around what the panel shows. */
    var selected = L.circleMarker([0, 0], { radius: 11, color: "#1a5fb4", weight: 3, fill: false,
                                             interactive: false, pane: "mp-point" });
    function select(lonlat) {
      if (!lonlat) { selected.remove(); return; }
      selected.setLatLng([lonlat[1], lonlat[0]]).addTo(map);
    }

    function showOrg(id, latlng) {
      state.panel = { kind: "org", id: id };
      container.dataset.panel = "";
      openPanel([h("p", { class: "muted", text: t("map_loadingRecord") })]);
      busy(1);
      getJSON(config.urls.summary.replace("{id}", encodeURIComponent(id))).then(function (org) {
        if (!state.panel || state.panel.id !== id) return;
        state.panel.data = org;
        renderOrg(org);
        select(org.location);
        container.dataset.panel = "org:" + org.id;
        if (latlng === true && org.location) map.setView([org.location[1], org.location[0]], Math.max(map.getZoom(), 15));
      }).catch(function (err) {
        openPanel([h("p", { class: "error", text: err.message })]);
      }).then(function () { busy(-1); });
    }

    function renderFeature(def, props) {
      var rows = (def.properties || []).filter(function (p) {
        if (/_id$/.test(p.name)) return false;  // database ids mean nothing to people
        return props[p.name] !== undefined && props[p.name] !== null && props[p.name] !== "";
      }).map(function (p) {
        var v = props[p.name];
        if (Array.isArray(v)) v = v.join(I.isZh() ? "、" : ", ");
        else if (typeof v === "number") v = I.num(v);
        else v = valueLabel(p, v);
        return [I.isZh() ? p.title : (p.title_en || p.title), document.createTextNode(String(v))];
      });
      openPanel([
        h("p", { class: "kind", text: title(def) }),
        h("h2", { id: "record-title", text: props.name || props.code || title(def) }),
        dl(rows)
      ]);
    }

    function onFeatureClick(def, props, latlng) {
      if (def.record === "org" && props.id !== undefined) { showOrg(props.id); return; }
      state.panel = { kind: "feature", def: def, props: props };
      renderFeature(def, props);
      select(def.kind === "point" && latlng ? [latlng.lng, latlng.lat] : null);
      container.dataset.panel = def.id + ":" + (props.id !== undefined ? props.id : props.code);
      // low-zoom tiles carry only what is drawn: the feature's own record has every property
      if (props.id !== undefined && def.items) {
        var shown = state.panel;
        getJSON(def.items.split("?")[0] + "/" + encodeURIComponent(props.id)).then(function (f) {
          if (state.panel !== shown || !f || !f.properties) return;
          shown.props = Object.assign({ id: props.id }, props, f.properties);
          renderFeature(def, shown.props);
        }).catch(function () { /* the tile's properties stay shown */ });
      }
    }

    /* ---------------------------------------------------------------- search */
    var input = $("#search"), results = $("#search-results"), searchSeq = 0, searchTimer = null;
    function showStatus(msg, error) {
      var s = $("#status");
      s.textContent = msg || "";
      s.classList.toggle("error", !!error);
      s.hidden = !msg;
    }
    function closeResults() { results.hidden = true; results.textContent = ""; input.setAttribute("aria-expanded", "false"); }
    function choose(item) {
      closeResults();
      input.value = item.name;
      var zoom = { province: 7, city: 9, county: 11, street: 13, town: 12, community: 14, village: 14 }[item.level] || 16;
      if (item.kind === "grid") zoom = 16;
      map.setView([item.lat, item.lon], zoom);
      if (item.kind === "org" && item.id !== null) showOrg(item.id);
    }
    function search() {
      var q = input.value.trim();
      if (!q) { closeResults(); return; }
      var mine = ++searchSeq;
      getJSON(config.urls.search + "?limit=10&q=" + encodeURIComponent(q)).then(function (body) {
        if (mine !== searchSeq) return;
        results.textContent = "";
        if (!body.items.length) results.appendChild(h("li", { class: "muted", text: t("searchNoResult", { q: q }) }));
        body.items.forEach(function (item) {
          var kind = item.kind === "admin_area" ? label("kind_", item.level) : label("kind_", item.kind);
          var li = h("li", { role: "option", tabindex: "-1", class: "search-item" }, [
            h("span", { class: "name", text: item.name }),
            h("span", { class: "sub", text: kind + t("sep") + item.code })
          ]);
          li.addEventListener("click", function () { choose(item); });
          li.addEventListener("keydown", function (e) { if (e.key === "Enter") choose(item); });
          results.appendChild(li);
        });
        results.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }).catch(function (err) { showStatus(err.message || t("searchFailed"), true); });
    }
    input.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        var first = results.querySelector(".search-item");
        if (first && !results.hidden) first.click(); else search();
      } else if (e.key === "Escape") closeResults();
      else if (e.key === "ArrowDown") { var f = results.querySelector(".search-item"); if (f) f.focus(); }
    });
    $("#search-form").addEventListener("submit", function (e) { e.preventDefault(); });
    document.addEventListener("click", function (e) { if (!e.target.closest("#search-form")) closeResults(); });

    /* ---------------------------------------------------------------- export */
    $("#export").addEventListener("click", function () {
      var b = map.getBounds();
      var on = config.layers.filter(function (d) { return state.layers[d.id].on; }).map(function (d) { return d.id; });
      var url = config.urls.export + "?bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(5); }).join(",") + "&layers=" + on.join(",") +
        "&zoom=" + map.getZoom() + "&lang=" + I.lang();
      var button = this;
      button.disabled = true;
      showStatus("");
      // fetched, not navigated to: a refusal shows here instead of replacing the page
      C.request(url, null, "blob").then(function (blob) {
        C.download("map-export.html", blob);
      }).catch(function (err) {
        showStatus(err.message, true);
      }).then(function () { button.disabled = false; });
    });

    /* ---------------------------------------------------------------- layers panel on phones */
    $("#layers-toggle").addEventListener("click", function () {
      var box = $("#layers-card");
      var open = box.classList.toggle("open");
      this.setAttribute("aria-expanded", open ? "true" : "false");
    });

    /* ---------------------------------------------------------------- language */
    I.bindToggle($("#lang-toggle"));
    I.onChange(function () {
      buildLayerList();
      if (state.panel && state.panel.kind === "org" && state.panel.data) renderOrg(state.panel.data);
      if (state.panel && state.panel.kind === "feature") renderFeature(state.panel.def, state.panel.props);
      if (!results.hidden) search();
    });

    I.apply();
    config.layers.forEach(function (def) { state.layers[def.id].on = !!def.visible; });
    buildLayerList();
    busy(0);
    global.mapPage = { map: map, layers: state.layers, setOn: setOn, showOrg: showOrg };
  }

  global.MapPage = {
    start: start,
    // shared with the exported view (map-export.js)
    title: title, pathStyle: pathStyle, featureStyle: featureStyle, swatch: swatch,
    legendValues: legendValues, valueLabel: valueLabel
  };
})(window);
