/* UI strings of the party-building map pages, in one dictionary: zh-CN (default) and English.
 *
 * t(key, vars) looks a string up in the current language and fills {name} placeholders.
 * Elements carry data-i18n="key" (text) or data-i18n-attr="attr:key;attr:key" (attributes)
 * and are refreshed by applyI18n() whenever the language changes. The document title comes
 * from the key named by <html data-i18n-title="..."> (default "docTitle", the /nearest page).
 * Shared by every page: /nearest uses the plain keys, /plan the plan_* keys; the language
 * choice is one setting (localStorage "mapsvc.lang") for all pages.
 *
 * A page wires its EN / 中文 button with I18N.bindToggle(button), shows server errors with
 * I18N.serverMessage(body) (message or message_en) and formats numbers with I18N.num(n).
 */
(function (global) {
  "use strict";

  var STRINGS = {
    "zh-CN": {
      docTitle: "附近党组织与服务点 · 党建电子地图",
      title: "附近党组织与服务点",
      langToggle: "EN",
      langToggleLabel: "Switch to English",
      homeLabel: "返回首页",
      searchLabel: "搜索街道、社区、网格或党组织（支持拼音首字母）",
      searchPlaceholder: "搜索地名、网格、党组织",
      searchNoResult: "没有找到“{q}”",
      searchFailed: "搜索失败，请稍后再试",
      searching: "正在搜索…",
      locate: "定位",
      locateLabel: "用手机定位我的位置",
      locating: "定位中…",
      mapLabel: "地图：点按地图可设置位置",
      mapLoading: "正在加载街道与镇的边界…",
      mapLoadFailed: "边界加载失败：{msg}",
      mapHint: "点按地图任意位置，即可查询该处所属网格与附近服务点",
      myPosition: "我的位置",
      selectedPlace: "选定位置",
      whereTitle: "我的位置",
      whereEmpty: "点“定位”，或在地图上点选、在上方搜索一个地点，即可查看所在的街道、社区、网格和负责支部。",
      whereLoading: "正在查询所在网格…",
      whereOutside: "该位置不属于本区任何街道、社区或网格。",
      whereUnknown: "无法确定该位置所在的街道、社区和网格。",
      coords: "坐标",
      street: "街道",
      town: "镇",
      streetOrTown: "街道/镇",
      community: "社区",
      village: "村",
      grid: "网格",
      gridWorker: "网格员",
      responsibleBranch: "负责支部",
      secretary: "书记",
      nearestServicePoint: "最近服务点",
      noGrid: "该位置尚未划入网格",
      noBranch: "暂无负责支部",
      noServicePoint: "附近暂无服务点",
      noWorker: "暂无网格员",
      population: "人口 {population} 人 · {households} 户",
      partyGroup: "网格党小组",
      outsideTitle: "不在本区范围内",
      errorTitle: "无法查询该位置",
      geoTitle: "无法定位",
      networkError: "网络连接失败，请检查网络后重试",
      serverError: "服务暂时不可用（{status}），请稍后再试",
      tabBranch: "党支部",
      tabService: "党群服务中心",
      tabsLabel: "附近结果类型",
      listEmptyPrompt: "设置位置后，这里按距离列出最近的 5 个结果。",
      listLoading: "正在查找附近的结果…",
      listEmpty: "附近没有结果",
      listFailed: "查询失败：{msg}",
      distanceM: "{n} 米",
      distanceKm: "{n} 公里",
      networkDistance: "路网 {d}",
      walk: "步行约 {n} 分钟",
      navGaode: "高德导航",
      navBaidu: "百度导航",
      navGaodeLabel: "高德导航：{name}",
      navBaiduLabel: "百度导航：{name}",
      showOnMap: "在地图上显示第 {n} 个：{name}",
      openingHours: "开放时间",
      address: "地址",
      geoUnsupported: "此浏览器不支持定位，请在地图上点选位置或搜索地点。",
      geoDenied: "未获得定位权限。请在浏览器设置中允许定位，或在地图上点选位置。",
      geoInsecure: "浏览器只在 HTTPS 连接下提供定位。请在地图上点选位置或搜索地点。",
      geoUnavailable: "暂时无法获得位置信号，请到开阔处重试，或在地图上点选位置。",
      geoTimeout: "定位超时，请重试，或在地图上点选位置。",
      accuracy: "定位精度约 {n} 米",
      dismiss: "关闭提示",
      kind_street: "街道",
      kind_town: "镇",
      kind_district: "区县",
      kind_community: "社区",
      kind_village: "村",
      kind_grid: "网格",
      kind_org: "党组织",
      kind_service_point: "服务点",
      org_committee: "党委",
      org_working_committee: "工委",
      org_general_branch: "党总支",
      org_branch: "党支部",
      org_joint_branch: "联合党支部",
      org_temporary_branch: "临时党支部",
      cat_government: "机关",
      cat_public_institution: "事业单位",
      cat_soe: "国有企业",
      cat_non_public: "非公企业",
      cat_social_org: "社会组织",
      cat_village: "农村",
      cat_community: "社区",
      cat_school: "学校",
      cat_migrant: "流动",
      sp_district_centre: "区级党群服务中心",
      sp_street_centre: "街道（镇）党群服务中心",
      sp_community_centre: "社区（村）党群服务中心",
      sp_station: "党群服务站",
      sep: " · ",

      /* ---- /plan, the planner's page (keys start with plan_) ---- */
      plan_docTitle: "服务覆盖与选址规划 · 党建电子地图",
      plan_title: "服务覆盖与选址规划",
      plan_subtitle: "党群服务中心服务圈 · 覆盖缺口 · 新站点建议 · 组织覆盖",
      plan_mapLabel: "覆盖分析地图",
      plan_params: "分析条件",
      plan_facility: "设施类型",
      plan_facilityServicePoints: "党群服务中心（站）",
      plan_mode: "覆盖方式",
      plan_modeDistance: "直线距离",
      plan_modeWalk: "步行路网",
      plan_radius: "覆盖半径（米）",
      plan_radiusPlaceholder: "不填：按级别 500–1500 米",
      plan_radiusHint: "不填时按服务点级别：服务站 500 米，社区 1000 米，街道/区 1500 米",
      plan_minutes: "步行分钟（75 米/分钟）",
      plan_by: "统计单元",
      plan_byGrid: "网格",
      plan_byCommunity: "社区（村）",
      plan_byStreet: "街道（镇）",
      plan_run: "分析覆盖",
      plan_analysing: "正在分析…",
      plan_analysed: "分析完成：{n} 个单元",
      plan_totals: "覆盖概况",
      plan_tUnits: "统计单元",
      plan_tUnitsValue: "{covered} / {all} 已覆盖{pct}",
      plan_tPopulation: "人口",
      plan_tMembers: "党员（居住地）",
      plan_tMode: "覆盖方式",
      plan_tModeWalk: "步行路网（75 米/分钟）",
      plan_tModeDistance: "直线距离（椭球面）",
      plan_legendLabel: "图例",
      plan_legendFull: "已覆盖",
      plan_legendPart: "部分覆盖",
      plan_legendNone: "未覆盖",
      plan_gaps: "覆盖缺口排名",
      plan_gapsTabs: "缺口统计单元",
      plan_tabGrids: "网格",
      plan_tabCommunities: "社区（村）",
      plan_colName: "名称",
      plan_colUncoveredPop: "未覆盖人口",
      plan_colUncoveredMembers: "未覆盖党员",
      plan_colNearest: "最近服务点",
      plan_unitTip: "人口 {pop} / {popAll}，党员 {mem} / {memAll}",
      plan_unitNearestTip: "最近服务点 {d}",
      plan_reachTip: "{name}（{d}）",
      plan_sites: "新服务点选址建议",
      plan_k: "新增个数",
      plan_keep: "保留现有服务点",
      plan_planBtn: "计算选址",
      plan_planHint: "候选点：各网格中心；覆盖范围与上面的条件相同（未填半径时为 1000 米）。",
      plan_planning: "正在计算（最大覆盖选址，HiGHS 求解）…",
      plan_planSummary: "覆盖人口 {before} → {after}（贪心法新增 {greedy}），最优性差距 {gap}",
      plan_gapUnknown: "未知",
      plan_colPosition: "位置（经度，纬度）",
      plan_colGain: "新增覆盖人口",
      plan_colNewGrids: "新覆盖网格",
      plan_lonLat: "{lon}，{lat}",
      plan_siteTip: "建议站点 {n}：新增覆盖 {gain} 人",
      plan_org: "组织覆盖（两个覆盖）",
      plan_orgBtn: "检查组织覆盖",
      plan_orgHeading: "{title}（{n}）",
      plan_orgGrids: "有 3 名以上正式党员但无网格党小组的网格",
      plan_orgCommunities: "有 3 名以上正式党员但无党组织的社区（村）",
      plan_orgOversized: "超过 50 人的支部",
      plan_orgUndersized: "正式党员不足 3 人的支部",
      plan_orgMigrant: "建议成立流动党员党支部的地点",
      plan_orgNone: "无",
      plan_orgGridTip: "{name}：{n} 名正式党员，无网格党小组",
      plan_orgCommunityTip: "{name}：{n} 名正式党员，无党组织",
      plan_orgOversizedTip: "{name}：{n} 人，超过 50 人",
      plan_orgUndersizedTip: "{name}：正式党员 {n} 人，不足 3 人",
      plan_orgFullMembers: "{name} · 正式党员 {n}",
      plan_orgBranchMembers: "{name}（{code}）· {n} 人",
      plan_orgBranchFull: "{name}（{code}）· 正式党员 {n}",
      plan_orgMigrantLine: "{places} · {n} 名流动党员，最近的流动党员党支部 {d}",
      plan_listSep: "、",
      plan_export: "导出",
      plan_exportXlsx: "分析表 XLSX",
      plan_exportGeojson: "地图数据 GeoJSON",
      plan_exportHtml: "地图 HTML",
      plan_exportFailed: "导出失败：{msg}",
      plan_exportTitle: "服务覆盖分析地图 · 党建电子地图",
      plan_layerUnits: "覆盖情况",
      plan_layerServiceAreas: "服务范围",
      plan_layerSites: "现有服务点",
      plan_layerPlan: "选址建议",
      plan_layerOrg: "组织覆盖"
    },
    en: {
      docTitle: "Nearby party orgs & service points · Party-building map",
      title: "Nearby party orgs & service points",
      langToggle: "中文",
      langToggleLabel: "切换到中文",
      homeLabel: "Back to home",
      searchLabel: "Search streets, communities, grids or party orgs (pinyin initials work)",
      searchPlaceholder: "Search places, grids, orgs",
      searchNoResult: "Nothing found for “{q}”",
      searchFailed: "Search failed, please try again",
      searching: "Searching…",
      locate: "Locate me",
      locateLabel: "Use the phone's location",
      locating: "Locating…",
      mapLabel: "Map: tap anywhere to set the position",
      mapLoading: "Loading street and town boundaries…",
      mapLoadFailed: "Could not load boundaries: {msg}",
      mapHint: "Tap anywhere on the map to look up its grid and the nearest service points",
      myPosition: "My position",
      selectedPlace: "Selected place",
      whereTitle: "Where I am",
      whereEmpty: "Tap “Locate me”, tap the map or search a place above to see its street, community, grid and responsible branch.",
      whereLoading: "Looking up the grid…",
      whereOutside: "This place is in none of the district's streets, communities or grids.",
      whereUnknown: "Could not tell the street, community and grid of this place.",
      coords: "Coordinates",
      street: "Street",
      town: "Town",
      streetOrTown: "Street/town",
      community: "Community",
      village: "Village",
      grid: "Grid",
      gridWorker: "Grid worker",
      responsibleBranch: "Responsible branch",
      secretary: "Secretary",
      nearestServicePoint: "Nearest service point",
      noGrid: "This place is not in any grid yet",
      noBranch: "No responsible branch",
      noServicePoint: "No service point nearby",
      noWorker: "No grid worker",
      population: "Population {population} · {households} households",
      partyGroup: "Grid party group",
      outsideTitle: "Outside the district",
      errorTitle: "Cannot look up this place",
      geoTitle: "Cannot locate you",
      networkError: "Network error, please check the connection and retry",
      serverError: "Service unavailable ({status}), please try again later",
      tabBranch: "Party branches",
      tabService: "Service centres",
      tabsLabel: "Kind of nearby results",
      listEmptyPrompt: "Once a position is set, the 5 nearest appear here by distance.",
      listLoading: "Finding what is nearby…",
      listEmpty: "Nothing nearby",
      listFailed: "Lookup failed: {msg}",
      distanceM: "{n} m",
      distanceKm: "{n} km",
      networkDistance: "by road {d}",
      walk: "About {n} min walk",
      navGaode: "Gaode nav",
      navBaidu: "Baidu nav",
      navGaodeLabel: "Gaode nav: {name}",
      navBaiduLabel: "Baidu nav: {name}",
      showOnMap: "Show number {n} on the map: {name}",
      openingHours: "Opening hours",
      address: "Address",
      geoUnsupported: "This browser cannot locate you. Tap the map or search a place instead.",
      geoDenied: "Location permission was denied. Allow it in the browser settings, or tap the map.",
      geoInsecure: "Browsers only share location over HTTPS. Tap the map or search a place instead.",
      geoUnavailable: "No location signal right now. Try again in the open, or tap the map.",
      geoTimeout: "Locating timed out. Try again, or tap the map.",
      accuracy: "Accuracy about {n} m",
      dismiss: "Dismiss",
      kind_street: "Street",
      kind_town: "Town",
      kind_district: "District",
      kind_community: "Community",
      kind_village: "Village",
      kind_grid: "Grid",
      kind_org: "Party org",
      kind_service_point: "Service point",
      org_committee: "Party committee",
      org_working_committee: "Working committee",
      org_general_branch: "General branch",
      org_branch: "Branch",
      org_joint_branch: "Joint branch",
      org_temporary_branch: "Temporary branch",
      cat_government: "Government",
      cat_public_institution: "Public institution",
      cat_soe: "State-owned enterprise",
      cat_non_public: "Non-public enterprise",
      cat_social_org: "Social organisation",
      cat_village: "Village",
      cat_community: "Community",
      cat_school: "School",
      cat_migrant: "Migrant",
      sp_district_centre: "District service centre",
      sp_street_centre: "Street/town service centre",
      sp_community_centre: "Community/village service centre",
      sp_station: "Service station",
      sep: " · ",

      /* ---- /plan ---- */
      plan_docTitle: "Service coverage & site planning · Party-building map",
      plan_title: "Service coverage & site planning",
      plan_subtitle: "Service-centre reach · Coverage gaps · New sites · Organisation coverage",
      plan_mapLabel: "Coverage analysis map",
      plan_params: "Analysis settings",
      plan_facility: "Facility",
      plan_facilityServicePoints: "Service centres & stations",
      plan_mode: "Coverage by",
      plan_modeDistance: "Straight line",
      plan_modeWalk: "Walking network",
      plan_radius: "Radius (m)",
      plan_radiusPlaceholder: "Empty: by level, 500–1500 m",
      plan_radiusHint: "Empty: by service point level – station 500 m, community 1000 m, street/district 1500 m",
      plan_minutes: "Walking minutes (75 m/min)",
      plan_by: "Units",
      plan_byGrid: "Grid",
      plan_byCommunity: "Community (village)",
      plan_byStreet: "Street (town)",
      plan_run: "Analyse coverage",
      plan_analysing: "Analysing…",
      plan_analysed: "Analysis done: {n} units",
      plan_totals: "Coverage summary",
      plan_tUnits: "Units",
      plan_tUnitsValue: "{covered} / {all} covered{pct}",
      plan_tPopulation: "Population",
      plan_tMembers: "Members (by residence)",
      plan_tMode: "Coverage by",
      plan_tModeWalk: "Walking network (75 m/min)",
      plan_tModeDistance: "Straight line (on the ellipsoid)",
      plan_legendLabel: "Legend",
      plan_legendFull: "Covered",
      plan_legendPart: "Partly covered",
      plan_legendNone: "Not covered",
      plan_gaps: "Largest coverage gaps",
      plan_gapsTabs: "Gap units",
      plan_tabGrids: "Grids",
      plan_tabCommunities: "Communities (villages)",
      plan_colName: "Name",
      plan_colUncoveredPop: "Uncovered population",
      plan_colUncoveredMembers: "Uncovered members",
      plan_colNearest: "Nearest service point",
      plan_unitTip: "Population {pop} / {popAll}, members {mem} / {memAll}",
      plan_unitNearestTip: "Nearest service point {d}",
      plan_reachTip: "{name} ({d})",
      plan_sites: "Suggested new service points",
      plan_k: "New sites",
      plan_keep: "Keep existing points",
      plan_planBtn: "Suggest sites",
      plan_planHint: "Candidates: grid centres; reach as set above (1000 m when no radius is given).",
      plan_planning: "Computing (maximal covering, HiGHS solver)…",
      plan_planSummary: "Population covered {before} → {after} (greedy adds {greedy}), optimality gap {gap}",
      plan_gapUnknown: "unknown",
      plan_colPosition: "Position (lon, lat)",
      plan_colGain: "Population gained",
      plan_colNewGrids: "Grids newly covered",
      plan_lonLat: "{lon}, {lat}",
      plan_siteTip: "Suggested site {n}: +{gain} people covered",
      plan_org: "Organisation coverage (“two coverages”)",
      plan_orgBtn: "Check organisation coverage",
      plan_orgHeading: "{title} ({n})",
      plan_orgGrids: "Grids with 3+ full members but no grid party group",
      plan_orgCommunities: "Communities (villages) with 3+ full members but no party organisation",
      plan_orgOversized: "Branches with more than 50 members",
      plan_orgUndersized: "Branches with fewer than 3 full members",
      plan_orgMigrant: "Places that could use a migrant members' branch",
      plan_orgNone: "None",
      plan_orgGridTip: "{name}: {n} full members, no grid party group",
      plan_orgCommunityTip: "{name}: {n} full members, no party organisation",
      plan_orgOversizedTip: "{name}: {n} members, more than 50",
      plan_orgUndersizedTip: "{name}: {n} full members, fewer than 3",
      plan_orgFullMembers: "{name} · {n} full members",
      plan_orgBranchMembers: "{name} ({code}) · {n} members",
      plan_orgBranchFull: "{name} ({code}) · {n} full members",
      plan_orgMigrantLine: "{places} · {n} migrant members, nearest migrant branch {d}",
      plan_listSep: ", ",
      plan_export: "Export",
      plan_exportXlsx: "Tables XLSX",
      plan_exportGeojson: "Map data GeoJSON",
      plan_exportHtml: "Map HTML",
      plan_exportFailed: "Export failed: {msg}",
      plan_exportTitle: "Coverage analysis map · Party-building map",
      plan_layerUnits: "Coverage",
      plan_layerServiceAreas: "Service areas",
      plan_layerSites: "Existing service points",
      plan_layerPlan: "Suggested sites",
      plan_layerOrg: "Organisation coverage"
    }
  };

  var STORAGE_KEY = "mapsvc.lang";
  var current = "zh-CN";
  try {
    var saved = global.localStorage && global.localStorage.getItem(STORAGE_KEY);
    if (saved && STRINGS[saved]) current = saved;
  } catch (e) { /* storage may be disabled */ }

  function t(key, vars) {
    var table = STRINGS[current] || STRINGS["zh-CN"];
    var s = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : STRINGS["zh-CN"][key];
    if (s === undefined) return key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
      });
    }
    return s;
  }

  /* Does the dictionary have a label for this key (e.g. an org level)? */
  function has(key) {
    return Object.prototype.hasOwnProperty.call(STRINGS["zh-CN"], key);
  }

  function applyI18n(root) {
    root = root || global.document;
    root.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    root.querySelectorAll("[data-i18n-attr]").forEach(function (el) {
      el.getAttribute("data-i18n-attr").split(";").forEach(function (pair) {
        var parts = pair.split(":");
        if (parts.length === 2) el.setAttribute(parts[0].trim(), t(parts[1].trim()));
      });
    });
    var html = global.document.documentElement;
    html.lang = current;
    global.document.title = t(html.getAttribute("data-i18n-title") || "docTitle");
  }

  var listeners = [];

  function setLang(lang) {
    if (!STRINGS[lang]) return;
    current = lang;
    try { global.localStorage && global.localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* ignore */ }
    applyI18n();
    listeners.forEach(function (fn) { fn(lang); });
  }

  function other() { return current === "zh-CN" ? "en" : "zh-CN"; }

  /* The EN / 中文 button: it names the other language, in that language, and switches to it. */
  function bindToggle(btn) {
    var label = btn.querySelector("[data-i18n]") || btn;
    function mark() { label.lang = other(); }
    btn.addEventListener("click", function () { setLang(other()); });
    listeners.push(mark);
    mark();
  }

  /* The server's error text in the current language (the API sends message and message_en). */
  function serverMessage(body) {
    if (!body || !(body.message || body.message_en)) return null;
    return current === "zh-CN" ? (body.message || body.message_en) : (body.message_en || body.message);
  }

  function num(n) {
    if (n === null || n === undefined || n === "") return "—";
    return Number(n).toLocaleString(current === "zh-CN" ? "zh-CN" : "en-US");
  }

  global.I18N = {
    strings: STRINGS,
    t: t,
    has: has,
    apply: applyI18n,
    setLang: setLang,
    lang: function () { return current; },
    isZh: function () { return current === "zh-CN"; },
    onChange: function (fn) { listeners.push(fn); },
    bindToggle: bindToggle,
    serverMessage: serverMessage,
    num: num
  };
})(window);
