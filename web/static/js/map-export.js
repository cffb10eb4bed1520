/* The exported view of /map: one HTML file with Leaflet, the features of the view and this
 * script written inside, so it opens offline (file://). Styles and legend come from map.js
 * (MapPage), elements from common.js (MapsvcCommon), the words from i18n.js; the file keeps
 * the language it was exported in.
 * The container's data-features says how many features were drawn. */
(function (global) {
  "use strict";

  var P = global.MapPage, I = global.I18N, t = I.t, h = global.MapsvcCommon.h;

  function start(map, config) {
    if (config.lang && config.lang !== I.lang()) I.setLang(config.lang);
    I.apply();
    map.attributionControl && map.attributionControl.setPrefix(false);
    var kinds = { polygon: 0, line: 1, point: 2 };
    var drawn = 0, all = L.featureGroup();
    var legend = document.getElementById("legend");
    config.layers.slice().sort(function (a, b) { return kinds[a.layer.kind] - kinds[b.layer.kind]; })
      .forEach(function (entry) {
        var def = entry.layer, style = P.featureStyle(def);
        var layer = L.geoJSON({ type: "FeatureCollection", features: entry.features }, {
          style: function (f) { return style(f.properties); },
          pointToLayer: function (f, ll) { return L.circleMarker(ll, style(f.properties)); },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            var rows = (def.properties || []).filter(function (q) {
              return p[q.name] !== null && p[q.name] !== undefined && p[q.name] !== "" && !/_id$/.test(q.name);
            }).map(function (q) {
              var v = Array.isArray(p[q.name]) ? p[q.name].join("、") : P.valueLabel(q, p[q.name]);
              return h("tr", {}, [h("th", { text: I.isZh() ? q.title : q.title_en }), h("td", { text: String(v) })]);
            });
            l.bindPopup(h("div", { class: "export-popup" }, [
              h("strong", { text: p.name || p.code || P.title(def) }), h("table", {}, rows)]));
          }
        }).addTo(map);
        all.addLayer(layer);
        drawn += entry.features.length;
        var more = entry.matched > entry.features.length ? t("map_exportTruncated", { n: I.num(entry.features.length) }) : "";
        legend.appendChild(h("div", { "data-layer": def.id }, [
          P.swatch(def), h("span", { text: P.title(def) + " · " + I.num(entry.features.length) + more })]));
      });
    map.fitBounds(config.bounds);
    map.getContainer().dataset.features = String(drawn);
  }

  global.MapExport = { start: start };
})(window);
