/* Small helpers shared by the page scripts (map.js, map-export.js, nearest.js, plan.js,
 * screen.js): building elements without HTML, fetching JSON from the service, error text.
 *
 * HTML by construction: data from the server (names come from people) never reaches an
 * HTML parser. Pages build elements with h() and text(); Leaflet tooltips and popups get
 * elements (text(), liveText()), divIcons get nodes (nodeIcon()), ECharts tooltip formatters
 * are wrapped in tipText(), which escapes what they return. This file is the only one that
 * may touch innerHTML; eslint.config.js refuses the other ways in elsewhere.
 * A classic script (the pages load no modules): it defines one global, MapsvcCommon, and is
 * loaded after i18n.js (I18N, used when a helper runs) and before the page's own script.
 */
(function (global) {
  "use strict";

  function isNode(c) { return typeof c === "object" && c !== null && "nodeType" in c; }

  function setAttr(el, k, v) {
    if (v === null || v === undefined || v === false) return;
    if (k === "text") el.textContent = v;
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.keys(v).forEach(function (d) { el.dataset[d] = v[d]; });
    else if (k.slice(0, 2) === "on" && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }

  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { append(el, x); });
    else el.appendChild(isNode(c) ? c : document.createTextNode(String(c)));
  }

  /* h("a", {class: "x", href: "...", text: "..."}, child, "text", [children], ...) builds an
   * element; text always goes in as text, never as HTML (names come from the database).
   * null, undefined and false attributes and children are left out. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { setAttr(el, k, attrs[k]); });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  /* A span holding s as text: content for Leaflet's bindTooltip/bindPopup (a string there
   * would be parsed as HTML). */
  function text(s) { return h("span", null, s === null || s === undefined ? "" : String(s)); }

  /* A tooltip content made when shown (in the language of that moment), always as text. */
  function liveText(fn) { return function () { return text(fn.apply(this, arguments)); }; }

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  /* s with the five HTML specials as entities. */
  function escapeHtml(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  /* An ECharts tooltip formatter whose words are shown as text: ECharts puts a formatter's
   * string into the tooltip as HTML, so what fn returns is escaped here. */
  function tipText(fn) {
    return function () { return escapeHtml(fn.apply(this, arguments)); };
  }

  /* A Leaflet divIcon whose content is nodes from build() (an element or a list), never an
   * HTML string; options as L.divIcon's, without html. */
  function nodeIcon(options, build) {
    var icon = global.L.divIcon(Object.assign({}, options, { html: "" }));
    var create = icon.createIcon;
    icon.createIcon = function (old) {
      var div = create.call(icon, old);
      append(div, build());
      return div;
    };
    return icon;
  }

  function $(sel, root) { return (root || document).querySelector(sel); }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  /* The server's own message in the current language, else a generic one. */
  function errorText(err) {
    var I = global.I18N;
    var msg = err && I.serverMessage(err.body);
    if (msg) return msg;
    if (err && err.network) return I.t("networkError");
    return I.t("serverError", { status: (err && err.status) || "?" });
  }

  function failure(props) {
    var err = new Error();
    Object.keys(props).forEach(function (k) { err[k] = props[k]; });
    err.message = errorText(err);
    return err;
  }

  /* fetch from this server; as = "json" (default), "text" or "blob". A non-2xx answer rejects
   * with an Error carrying status and body (the service's {code, message, message_en}), a dead
   * network with one carrying network: true; message is errorText() of either. */
  function request(url, options, as) {
    var opts = Object.assign({ credentials: "same-origin" }, options || {});
    if (!as || as === "json") opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    return fetch(url, opts).then(function (resp) {
      var read = resp.ok && as && as !== "json" ? resp[as]() : resp.json();
      return read.catch(function () { return null; }).then(function (body) {
        if (!resp.ok) throw failure({ status: resp.status, body: body });
        return body;
      });
    }, function () {
      throw failure({ network: true });
    });
  }

  function getJSON(url) { return request(url); }

  /* "850 m" / "1.2 km" in the current language; "—" for no value. */
  function distance(m) {
    var t = global.I18N.t;
    if (m === null || m === undefined) return "—";
    return m < 1000 ? t("distanceM", { n: Math.round(m) }) : t("distanceKm", { n: (m / 1000).toFixed(1) });
  }

  /* Save a Blob as a file named name (the browser's download). */
  function download(name, blob) {
    var a = h("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  global.MapsvcCommon = {
    h: h,
    text: text,
    liveText: liveText,
    escapeHtml: escapeHtml,
    tipText: tipText,
    nodeIcon: nodeIcon,
    $: $,
    clear: clear,
    request: request,
    getJSON: getJSON,
    errorText: errorText,
    distance: distance,
    download: download
  };
})(window);
