// ESLint (flat config) for the page scripts: `make lint` runs it after ruff.
// The pages load classic scripts in order (vendor libraries, i18n.js, common.js, the page's
// own script), so they share globals instead of imports; those are declared here.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["web/static/vendor/**", "node_modules/**"] },
  {
    files: ["web/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: {
        ...globals.browser,
        L: "readonly", // Leaflet (web/static/vendor)
        echarts: "readonly", // ECharts (web/static/vendor), the wall screen
        I18N: "readonly", // i18n.js
        MapsvcCommon: "readonly", // common.js
        MapPage: "readonly", // map.js, used by map-export.js
      },
    },
    rules: js.configs.recommended.rules,
  },
  {
    // HTML by construction: outside common.js no string reaches an HTML parser; data goes
    // in through MapsvcCommon's h(), text(), liveText(), nodeIcon() and tipText()
    files: ["web/static/js/**/*.js"],
    ignores: ["web/static/js/common.js"],
    rules: {
      "no-restricted-properties": [
        "error",
        ...["innerHTML", "outerHTML"].map((property) => ({
          property,
          message: "Build elements with MapsvcCommon.h() / text(): no HTML strings.",
        })),
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln|createContextualFragment|parseFromString)$/]",
          message: "No HTML strings: build elements with MapsvcCommon.h().",
        },
        {
          selector:
            "CallExpression[callee.property.name=/^(bindTooltip|bindPopup|setTooltipContent|setPopupContent|setContent)$/]" +
            ":not([arguments.0.callee.name=/^(h|textEl)$/])" +
            ":not([arguments.0.callee.property.name=/^(h|text|liveText)$/])",
          message:
            "Leaflet parses a string as HTML: pass an element (h(), MapsvcCommon.text() or liveText()).",
        },
        {
          selector: "Property[key.name='html']:not([value.type='Literal'])",
          message: "A divIcon's html is parsed: use MapsvcCommon.nodeIcon() for content with data.",
        },
        {
          selector:
            "Property[key.name='tooltip'] Property[key.name=/^(formatter|valueFormatter)$/]" +
            ":not([value.callee.name='tipText']):not([value.callee.property.name='tipText'])",
          message: "ECharts shows a tooltip formatter's string as HTML: wrap it in MapsvcCommon.tipText().",
        },
      ],
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: js.configs.recommended.rules,
  },
];
