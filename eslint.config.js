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
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: js.configs.recommended.rules,
  },
];
