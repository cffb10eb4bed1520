/* UI strings of the party-building map pages, in one dictionary: zh-CN (default) and English.
 *
 * t(key, vars) looks a string up in the current language and fills {name} placeholders.
 * Elements carry data-i18n="key" (text) or data-i18n-attr="attr:key;attr:key" (attributes)
 * and are refreshed by applyI18n() whenever the language changes.
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
      sep: " · "
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
      sep: " · "
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
    global.document.documentElement.lang = current;
    global.document.title = t("docTitle");
  }

  var listeners = [];

  function setLang(lang) {
    if (!STRINGS[lang]) return;
    current = lang;
    try { global.localStorage && global.localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* ignore */ }
    applyI18n();
    listeners.forEach(function (fn) { fn(lang); });
  }

  global.I18N = {
    strings: STRINGS,
    t: t,
    has: has,
    apply: applyI18n,
    setLang: setLang,
    lang: function () { return current; },
    isZh: function () { return current === "zh-CN"; },
    onChange: function (fn) { listeners.push(fn); }
  };
})(window);
