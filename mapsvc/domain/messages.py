"""Every message a refusal shows a person, in Chinese and English, keyed by its code.

`str.format` templates filled with the error's values. An entry's `code` is what the client
receives when it differs from the key (several messages share the codes "unauthorized",
"forbidden", "not_found" …). Sections follow the service's features; add to your own.
"""

from __future__ import annotations

from typing import NamedTuple


class Words(NamedTuple):
    """One message: Chinese, English, and the client-facing code when not the key."""

    zh: str
    en: str
    code: str | None = None


MESSAGES: dict[str, Words] = {
    # ---------------------------------------------------------------- HTTP and request parsing
    "not_found": Words("找不到该地址", "no such resource"),
    # a problem found by the validation layer, already in words, refused on its own
    "problem": Words("{message}", "{message_en}"),
    "method_not_allowed": Words("不支持该请求方法", "method not allowed"),
    "http_error": Words("{name}", "{name}"),
    "database_unavailable": Words(
        "数据库暂时不可用，请稍后再试",
        "the database is unavailable for the moment, please try again",
    ),
    "internal_error": Words(
        "服务器内部错误，请稍后再试", "internal server error, please try again later"
    ),
    "nul_character": Words(
        "请求地址或参数中含有 NUL（\\0）字符",
        "the request path or a query parameter holds a NUL (\\0) character",
    ),
    "missing_parameter": Words("缺少参数 {name}", "parameter {name} is missing"),
    "not_a_number": Words("参数 {name} 不是数字：{raw}", "parameter {name} is not a number: {raw}"),
    "not_finite": Words(
        "参数 {name} 不是有限的数字：{raw}",
        "parameter {name} is not a finite number: {raw}",
        code="not_a_number",
    ),
    "not_an_integer": Words(
        "参数 {name} 应为整数：{raw}", "parameter {name} must be an integer: {raw}"
    ),
    "out_of_range": Words(
        "参数 {name} 应在 {lo} 到 {hi} 之间：{raw}",
        "parameter {name} must be between {lo} and {hi}: {raw}",
    ),
    "not_positive": Words(
        "参数 {name} 应大于 0：{raw}",
        "parameter {name} must be greater than 0: {raw}",
        code="out_of_range",
    ),
    "bad_duration": Words(
        "参数 {name} 须为正整数加单位 m/h/d（如 30m、1h、2d）：{raw}",
        "parameter {name} must be a positive number with a unit m/h/d (30m, 1h, 2d): {raw}",
    ),
    "unknown_choice": Words(
        "未知的 {name}：{raw}（可选：{options_zh}）", "unknown {name}: {raw} (one of: {options})"
    ),
    "not_a_boolean": Words(
        "参数 {name} 应为 true 或 false：{raw}", "parameter {name} must be true or false: {raw}"
    ),
    "too_long_parameter": Words(
        "参数 {name} 不能超过 {max} 个字",
        "parameter {name} must be at most {max} characters",
        code="too_long",
    ),
    "bad_pattern": Words(
        "参数 {name} 格式不对：{raw}", "parameter {name} does not match {pattern}: {raw}"
    ),
    "bad_bbox": Words(
        "bbox 应为 4 个（或 6 个）逗号分隔的数字：{raw}",
        "bbox must be 4 (or 6) comma-separated numbers: {raw}",
    ),
    "bbox_out_of_order": Words(
        "bbox 超出范围或顺序不对（应为 最小经度,最小纬度,最大经度,最大纬度）：{raw}",
        "bbox out of range or out of order (minlon,minlat,maxlon,maxlat): {raw}",
        code="bad_bbox",
    ),
    "json_not_finite": Words(
        "请求体含有非有限数值 {value}（JSON 不允许 NaN、Infinity）",
        "the body holds the non-finite number {value} (JSON allows no NaN or Infinity)",
        code="bad_json",
    ),
    "json_too_deep": Words(
        "请求体嵌套超过 {max} 层", "the body nests deeper than {max} levels", code="bad_json"
    ),
    "json_lone_surrogate": Words(
        "请求体含有无法保存的字符（孤立的 UTF-16 代理项，如 \\ud800）",
        "the body holds a character that cannot be stored (a lone UTF-16 surrogate such as \\ud800)",
        code="bad_json",
    ),
    # ---------------------------------------------------------------- access
    "login_required": Words("请先登录", "please log in first", code="unauthorized"),
    "bad_authorization_header": Words(
        "Authorization 头应为 “Bearer 令牌”",
        "the Authorization header must be 'Bearer TOKEN'",
        code="unauthorized",
    ),
    "token_invalid": Words(
        "令牌无效、已过期或已吊销", "the token is invalid, expired or revoked", code="unauthorized"
    ),
    "kiosk_token_invalid": Words(
        "大屏令牌无效、已过期或已吊销",
        "the kiosk token is invalid, expired or revoked",
        code="unauthorized",
    ),
    "kiosk_aggregate_only": Words(
        "大屏账号只能查看汇总数据", "a kiosk account sees aggregate data only", code="forbidden"
    ),
    "role_may_not_write": Words(
        "角色“{role_zh}”无权修改此类记录", "the role {role} may not change {kind}", code="forbidden"
    ),
    "out_of_scope": Words(
        "{what_zh}不在您的管辖范围内，未做任何修改",
        "{what_en} is outside your scope; nothing was changed",
        code="forbidden",
    ),
    "other_origin": Words(
        "请求来源不是本站", "the request comes from another origin", code="forbidden"
    ),
    "csrf_failed": Words(
        "页面已过期（CSRF 校验失败），请刷新后重试",
        "the page has expired (CSRF check failed): reload it and try again",
        code="forbidden",
    ),
    "admins_only_audit": Words(
        "只有系统管理员可查看审计日志", "only admins see the audit log", code="forbidden"
    ),
    # ---------------------------------------------------------------- routes (request shapes)
    # ---------------------------------------------------------------- /ogc and /map
    "undeclared_parameter": Words(
        "未知的参数：{name}（可用：{known_zh}）",
        "unknown parameter: {name} (known: {known})",
        code="unknown_parameter",
    ),
    "repeated_parameter": Words("参数 {name} 只能给一次", "parameter {name} given twice"),
    "unknown_format": Words(
        "未知的格式 {name}={raw}（可选：{options_zh}）",
        "unknown format {name}={raw} (one of: {options})",
        code="unknown_f",
    ),
    "unknown_bbox_crs": Words(
        "不支持的 bbox-crs：{raw}（只支持 {only}）", "unsupported bbox-crs: {raw} (only {only})"
    ),
    "no_collection": Words(
        "没有该图层（集合）：{collection_id}",
        "no such collection: {collection_id}",
        code="not_found",
    ),
    "layer_forbidden": Words(
        "图层“{title_zh}”含个人或明细数据，当前账号无权查看",
        "the layer {layer_id} holds detailed data this account may not see",
        code="forbidden",
    ),
    "no_feature": Words(
        "图层“{title_zh}”中没有编号为 {fid} 的要素",
        "no feature {fid} in collection {layer_id}",
        code="not_found",
    ),
    "bad_tile": Words("瓦片 {name} 应为整数：{raw}", "tile {name} must be an integer: {raw}"),
    "tile_out_of_range": Words(
        "瓦片 {z}/{x}/{y} 不在 {tms} 范围内（z 为 0–{max_zoom}，x、y 为 0 到 2^z−1）",
        "tile {z}/{x}/{y} is outside {tms} (z 0–{max_zoom}, x and y 0 to 2^z−1)",
    ),
    "bad_lang": Words("lang 只能是 zh-CN 或 en", "lang must be zh-CN or en"),
    "unknown_layer": Words("没有图层 {names_zh}", "no layer {names}"),
    "org_not_found": Words("党组织 {org_id} 不存在", "org {org_id} not found", code="not_found"),
    # /api/v1 routes: lookup
    "point_outside_area": Words(
        "该位置（经度 {lon:.6f}，纬度 {lat:.6f}）不在本系统覆盖的任何行政区域内",
        "the point (lon {lon:.6f}, lat {lat:.6f}) lies outside every "
        "administrative area this service covers",
        code="outside_area",
    ),
    "search_q_missing": Words(
        "缺少参数 q（搜索词）", "parameter q is missing", code="missing_parameter"
    ),
    "search_q_too_long": Words(
        "搜索词不能超过 {max} 个字", "q must be at most {max} characters", code="too_long"
    ),
    # /api/v1 routes: coverage (the plan's JSON body, org coverage)
    "plan_body_not_object": Words(
        "请求体应为 JSON 对象", "the request body must be a JSON object", code="invalid_json"
    ),
    "plan_unknown_fields": Words(
        "未知字段：{names_zh}", "unknown fields: {names}", code="unknown_field"
    ),
    "plan_keep_existing_not_boolean": Words(
        "keep_existing 应为 true 或 false",
        "keep_existing must be true or false",
        code="not_a_boolean",
    ),
    "plan_field_missing": Words(
        "缺少字段 {name}", "field {name} is missing", code="missing_parameter"
    ),
    "plan_integer_out_of_range": Words(
        "{name} 应为 {lo} 到 {hi} 之间的整数：{value!r}",
        "{name} must be an integer between {lo} and {hi}: {value!r}",
        code="out_of_range",
    ),
    "plan_not_a_number": Words(
        "{name} 应为数字：{value!r}", "{name} must be a number: {value!r}", code="not_a_number"
    ),
    "plan_not_positive": Words(
        "{name} 应大于 0：{value!r}", "{name} must be greater than 0", code="out_of_range"
    ),
    "plan_bad_candidates": Words(
        'candidates 应为 "grid_centroids" 或点的列表（[经度, 纬度] 或 {{"lon", "lat"}}）',
        'candidates must be "grid_centroids" or a list of points ([lon, lat] or {{"lon", "lat"}})',
        code="invalid_candidates",
    ),
    "plan_bad_candidate": Words(
        "第 {n} 个候选点无效：{raw!r}",
        "candidate {n} is not a point: {raw!r}",
        code="invalid_candidates",
    ),
    "plan_too_many_candidates": Words(
        "候选点最多 {max} 个：{n}", "at most {max} candidates: {n}", code="too_many_candidates"
    ),
    "plan_crs_not_text": Words("crs 应为字符串", "crs must be a string", code="invalid_crs"),
    "org_distance_out_of_range": Words(
        "distance_m 应在 {lo:.0f} 到 {hi:.0f} 米之间：{raw:g}",
        "distance_m must be between {lo:.0f} and {hi:.0f} metres: {raw:g}",
        code="out_of_range",
    ),
    # /api/v1 routes: position reports
    "positions_database_unavailable": Words(
        "数据库暂时不可用，请稍后重发（同一 report_id 重发不会重复保存）",
        "the database is unavailable for now; resend later "
        "(a resent report_id is never stored twice)",
        code="database_unavailable",
    ),
    "positions_body_too_large": Words(
        "请求体不能超过 {mb} MB；本批次未保存任何记录",
        "the body must not exceed {mb} MB; nothing was stored",
        code="body_too_large",
    ),
    "positions_body_not_json": Words(
        "请求体不是有效的 JSON；本批次未保存任何记录",
        "the body is not valid JSON; nothing was stored",
        code="invalid_json",
    ),
    "positions_invalid_report": Words(
        "{first}；本批次未保存任何记录，请改正后重发整批",
        "{first_en}; nothing in this batch was stored: fix it and resend the whole batch",
        code="invalid_reports",
    ),
    "positions_invalid_reports": Words(
        "{first}，共 {count} 处错误；本批次未保存任何记录，请改正后重发整批",
        "{first_en} ({count} problems in all); nothing in this batch was stored: "
        "fix it and resend the whole batch",
        code="invalid_reports",
    ),
    "positions_outside_scope": Words(
        "本批报告中有党员不在您的管辖范围内，整批未保存",
        "some members of this batch are outside your scope; nothing was stored",
        code="forbidden",
    ),
    "positions_empty_range": Words(
        "参数 since 应早于 until", "parameter since must be earlier than until", code="empty_range"
    ),
    "positions_unknown_member": Words(
        "没有 id 为 {id} 的党员", "no member with id {id}", code="unknown_member"
    ),
    # /api/v1 routes: file uploads
    "upload_too_large": Words(
        "文件超过 {mb:g} MB 的上限：请拆分后分批导入，或在服务器上用 mapsvc import 导入",
        "the file is over the {mb:g} MB limit: split it, or import it on the "
        "server with mapsvc import",
        code="file_too_large",
    ),
    "upload_missing_file": Words(
        "请上传文件（表单字段 file）",
        "upload the file as the form field 'file'",
        code="missing_file",
    ),
    "import_database_unavailable": Words(
        "数据库暂时不可用，未写入任何数据，请稍后再试",
        "the database is unavailable; nothing was written, try again later",
        code="database_unavailable",
    ),
    # /api/v1 routes: records
    "record_not_found": Words(
        "{what_zh} {key} 不存在", "{what_en} {key} not found", code="not_found"
    ),
    "record_body_not_object": Words(
        "请求体应为 JSON 对象", "the body must be a JSON object", code="bad_json"
    ),
    "record_version_required": Words(
        "修改前请先读取记录，并在 If-Match 头（或 version 字段）中带上其版本号",
        "read the record first and send its version in If-Match (or a version field)",
        code="version_required",
    ),
    "record_version_not_integer": Words(
        "版本号应为整数：{raw}", "the version must be an integer: {raw}", code="bad_version"
    ),
    "record_version_out_of_range": Words(
        "版本号超出范围：{raw}", "the version is out of range: {raw}", code="bad_version"
    ),
    "record_version_conflict": Words(
        "{what_zh} {key} 已被他人修改（当前版本 {current}），请重新读取后再修改",
        "{what_en} {key} was changed by someone else (now version {current}); "
        "read it again before changing it",
        code="version_conflict",
    ),
    "record_in_use": Words(
        "{what_zh} {key} 仍被其他记录引用，不能删除",
        "{what_en} {key} is still referred to by other records",
        code="in_use",
    ),
    "org_not_empty": Words(
        "该组织还有 {members} 名党员、{children} 个下级组织，请先转接党员、调整下级组织后再撤销",
        "the org still has {members} members and {children} active child orgs: transfer them first",
    ),
    # ---------------------------------------------------------------- services (lookup, coverage, positions, stats, map)
    # coverage: the reach asked for
    "radius_and_minutes": Words(
        "radius_m 与 minutes 只能给出一个",
        "give radius_m or minutes, not both",
        code="conflicting_parameters",
    ),
    "radius_out_of_range": Words(
        "radius_m 应在 {lo:.0f} 到 {hi:.0f} 米之间：{radius_m:g}",
        "radius_m must be between {lo:.0f} and {hi:.0f} metres: {radius_m:g}",
        code="out_of_range",
    ),
    "minutes_need_walk": Words(
        "minutes（步行分钟）只用于 mode=walk",
        "minutes (walking minutes) only apply with mode=walk",
    ),
    "minutes_not_positive": Words(
        "minutes 应大于 0：{minutes:g}", "minutes must be > 0: {minutes:g}", code="out_of_range"
    ),
    "minutes_too_short": Words(
        "minutes 太小：步行不到 {lo:.0f} 米：{minutes:g}",
        "minutes is too short: a walk under {lo:.0f} m: {minutes:g}",
        code="out_of_range",
    ),
    "beyond_walk_reach": Words(
        "步行范围 {longest:.0f} 米超过预先计算的路网步行范围 {horizon:.0f} 米"
        "（最多约 {most:.0f} 分钟）",
        "a walk of {longest:.0f} m exceeds the precomputed road walks of {horizon:.0f} m "
        "(at most about {most:.0f} minutes)",
    ),
    "no_road_network": Words(
        "没有可用的步行路网（道路未导入或步行距离未预先计算），请用 mode=distance",
        "no walkable road network (roads not loaded or road_walks not built); use mode=distance",
    ),
    # positions: a batch of reports (nothing of a refused batch is kept)
    "reports_not_an_object": Words(
        '请求体应为 JSON 对象 {{"reports": [...]}}；本批次未保存任何记录',
        'the body must be a JSON object {{"reports": [...]}}; nothing was stored',
        code="invalid_body",
    ),
    "reports_not_an_array": Words(
        "reports 应为数组；本批次未保存任何记录",
        "reports must be an array; nothing was stored",
        code="invalid_body",
    ),
    "no_reports": Words(
        "reports 为空，至少需要 1 条位置报告", "reports is empty: send at least 1 position report"
    ),
    "too_many_reports": Words(
        "一次最多提交 {most} 条位置报告，本次 {got} 条；本批次未保存任何记录，请分批提交",
        "at most {most} position reports per request, got {got}; "
        "nothing was stored, send them in smaller batches",
    ),
    # a time parameter (its own code: invalid_time, naive_time …; the problem in both languages)
    "time_parameter": Words("参数 {problem_zh}", "parameter {problem_en}"),
    # stats: the district and its streets
    "no_district": Words(
        "数据库中没有区县及其党委，无法统计",
        "no district with a party committee in the database: nothing to count",
    ),
    "figures_computing": Words(
        "统计数据正在计算，请稍后再试", "the figures are being computed; please try again shortly"
    ),
    "invalid_street": Words(
        "街道（镇）代码应为 12 位数字：{street}", "a street or town code has 12 digits: {street}"
    ),
    "unknown_street": Words(
        "{district}没有代码为 {street} 的街道（镇）",
        "{street} is not a street or town of {district}",
    ),
    # ---------------------------------------------------------------- records and their validation
    # a record refused as a whole (mapsvc.records.validation.Invalid): the first problem's words
    "invalid_record": Words("{message}；未做任何修改", "{message_en}; nothing was changed"),
    "invalid_records": Words(
        "{message}（共 {count} 处问题）；未做任何修改",
        "{message_en} ({count} problems); nothing was changed",
        code="invalid_record",
    ),
    # a problem with one field: its label (中文) or name (English), then the problem
    "about_field": Words("{label}：{message}", "{name}: {message}"),
    "unknown_field": Words("未知字段：{name}", "unknown field: {name}"),
    "required": Words("必填", "required"),
    "read_only": Words("不能直接修改", "cannot be set directly"),
    "text_nul_character": Words(
        "含有 NUL（\\0）字符", "holds a NUL (\\0) character", code="nul_character"
    ),
    "not_text": Words(
        "应为文字，不能是对象、列表或真假值", "must be text, not an object, list or boolean"
    ),
    "bad_format": Words(
        "格式不正确（应为{pattern_zh}）：{value}", "bad format (expected {pattern}): {value}"
    ),
    "too_long": Words("不能超过 {most} 个字符", "at most {most} characters"),
    "unknown_value": Words(
        "未知的取值 {value}，可选：{choices_zh}", "unknown value {value}; one of: {choices}"
    ),
    # how unknown_value lists an enum's choices
    "enum_choice": Words("{key}（{label}）", "{key}"),
    "choice_separator": Words("、", ", "),
    "value_not_a_number": Words("不是数字：{value}", "not a number: {value}", code="not_a_number"),
    "not_an_integer_value": Words(
        "应为整数：{value}", "must be an integer: {value}", code="not_a_number"
    ),
    "not_a_finite_value": Words(
        "应为数字：{value}", "must be a number: {value}", code="not_a_number"
    ),
    "below_minimum": Words(
        "不能小于 {minimum:g}：{value}",
        "must be at least {minimum:g}: {value}",
        code="out_of_range",
    ),
    "above_maximum": Words(
        "不能大于 {maximum:g}：{value}", "must be at most {maximum:g}: {value}", code="out_of_range"
    ),
    "bad_date": Words(
        "日期格式不正确（应为 2024-05-01）：{value}", "bad date (expected YYYY-MM-DD): {value}"
    ),
    "value_not_a_boolean": Words(
        "应为 是/否：{value}", "must be true or false: {value}", code="not_a_boolean"
    ),
    "bad_geometry": Words(
        "无法识别的几何（应为 GeoJSON、WKT 或经纬度）",
        "unreadable geometry (expected GeoJSON, WKT or lon/lat)",
    ),
    "nonfinite_coordinates": Words(
        "坐标不是有限数字", "coordinates are not finite numbers", code="bad_geometry"
    ),
    "empty_geometry": Words("几何为空", "empty geometry"),
    "not_a_point": Words(
        "应为点，实为 {got}", "must be a Point, got {got}", code="wrong_geometry_type"
    ),
    "not_a_polygon": Words(
        "应为面，实为 {got}",
        "must be a Polygon or MultiPolygon, got {got}",
        code="wrong_geometry_type",
    ),
    "not_a_line": Words(
        "应为线，实为 {got}",
        "must be a LineString or MultiLineString, got {got}",
        code="wrong_geometry_type",
    ),
    "invalid_geometry": Words("几何无效：{reason_zh}", "invalid geometry: {reason}"),
    "invalid_geometry_at": Words(
        "几何无效：{reason_zh}，位于经度 {lon:.6f}、纬度 {lat:.6f}",
        "invalid geometry: {reason} at lon {lon:.6f}, lat {lat:.6f}",
        code="invalid_geometry",
    ),
    # GEOS's reasons for an invalid geometry, in Chinese (English: GEOS's own words)
    "geos_self_intersection": Words("自相交", "Self-intersection"),
    "geos_ring_self_intersection": Words("环自相交", "Ring Self-intersection"),
    "geos_too_few_points": Words("点数太少", "Too few points"),
    "geos_hole_outside_shell": Words("洞在外环之外", "Hole lies outside shell"),
    "geos_nested_shells": Words("外环嵌套", "Nested shells"),
    "geos_interior_disconnected": Words("内部不连通", "Interior is disconnected"),
    # rules that need the database
    "unknown_reference": Words("组织 {code} 不存在", "org {code} does not exist"),
    "dissolved_reference": Words("组织 {code} 已撤销", "org {code} is dissolved"),
    "member_org_not_branch": Words(
        "党员只能编入党支部（含联合党支部），{code} 是{level_zh}",
        "members belong to branch-level orgs only; {code} is a {level}",
    ),
    "unknown_area": Words("区划 {code} 不存在", "administrative area {code} does not exist"),
    "not_a_community": Words(
        "网格只能属于社区或村，{code} 是{level_zh}",
        "a grid belongs to a community or village; {code} is a {level}",
    ),
    "unknown_parent_area": Words(
        "上级区划 {parent} 不存在", "the parent area {parent} does not exist"
    ),
    "area_outside_parent": Words(
        "范围超出上级区划 {parent}（约 {outside:.0f} 平方米在外）",
        "the area extends outside its parent {parent} (about {outside:.0f} m² outside)",
    ),
    "level_under_parent": Words(
        "{level_zh}不能设在{parent_level_zh} {parent} 之下",
        "a {level} cannot sit under a {parent_level} ({parent})",
        code="level_order",
    ),
    "child_level_order": Words(
        "下级组织 {child}（{child_level_zh}）不能设在{level_zh}之下",
        "child org {child} ({child_level}) cannot sit under a {level}",
        code="level_order",
    ),
    "org_cycle": Words(
        "组织树不能成环：{parent} 是本组织的下级", "org tree cycle: {parent} is below this org"
    ),
    "single_root": Words(
        "上级组织编码：必填（组织树只有一个根：{root}）",
        "parent_code: required (the org tree has one root: {root})",
        code="required",
    ),
    "has_members": Words(
        "该组织有 {count} 名党员，只能是党支部一级",
        "the org has {count} members; only a branch-level org can hold members",
    ),
    "grid_code_prefix": Words(
        "网格编码 {code} 应以所属社区代码 {community} 开头",
        "grid code {code} must start with its community's code {community}",
    ),
    "grid_outside_community": Words(
        "网格超出所属社区 {community} 的边界（约 {outside:.0f} 平方米在外）",
        "the grid extends outside its community {community} (about {outside:.0f} m² outside)",
    ),
    "code_level_mismatch": Words(
        "区划代码 {code} 与级别（{level_zh}）不符：第 7–9 位 001–099 为街道、100–399 为乡镇，"
        "第 10–12 位 001–199 为社区、200–399 为村",
        "division code {code} does not fit level {level}: digits 7–9 are 001–099 for a street, "
        "100–399 for a town; digits 10–12 are 001–199 for a community, 200–399 for a village",
    ),
    # the database's own constraints, keyed (and coded) by constraint name
    "party_org_code_unique": Words("组织编码已存在", "org code already exists"),
    "grid_code_unique": Words("网格编码已存在", "grid code already exists"),
    "service_point_code_unique": Words("服务点编码已存在", "service point code already exists"),
    "admin_areas_pkey": Words("区划代码已存在", "division code already exists"),
    "party_orgs_single_root": Words("组织树只能有一个根组织", "the org tree has a single root"),
    "member_org_must_be_branch": Words(
        "党员只能编入党支部一级的组织", "members belong to branch-level orgs only"
    ),
    "admin_area_parent_exists": Words("上级区划不存在", "the parent area does not exist"),
    "member_joined_adult": Words("入党时应年满 18 岁", "members join at 18 or older"),
    "db_constraint": Words(
        "数据不符合约束 {name}：{text}", "violates constraint {name}: {text}", code="constraint"
    ),
    # party rules that are advice: warnings
    "branch_over_50": Words(
        "党支部 {code} 有 {count} 名党员，超过 {most} 人，宜改设党总支",
        "branch {code} has {count} members, over {most}: consider a general branch",
    ),
    "under_3_full_members": Words(
        "党支部 {code} 正式党员 {full} 名，不足 {least} 名，宜建联合党支部",
        "branch {code} has {full} full members, fewer than {least}: consider a joint branch",
    ),
    # member operations (mapsvc.records.members)
    "transfer_org_not_branch": Words(
        "党员只能转入党支部一级的组织，{code} 不是",
        "members transfer into branch-level orgs only; {code} is not",
        code="member_org_not_branch",
    ),
    "same_org": Words("党员已在 {code}", "the member is already in {code}"),
    "already_mobile": Words(
        "该党员已是流动党员（{destination}）", "the member is already mobile ({destination})"
    ),
    "not_mobile": Words("该党员不是流动党员", "the member is not mobile"),
    # accounts and tokens (mapsvc.access.accounts)
    "bad_name": Words(
        "用户名须为 1–64 个字母、数字或 _ . -",
        "name must be 1-64 characters of letters, digits, _ . -",
    ),
    "name_taken": Words("用户名 {name} 已存在", "the name {name} is taken"),
    "unknown_user": Words("没有用户 {name}", "no user named {name}"),
    "unknown_active_user": Words(
        "没有启用的用户 {name}", "no active user named {name}", code="unknown_user"
    ),
    "bad_role": Words("角色须为 {roles} 之一", "role must be one of {roles}"),
    "admin_scope": Words(
        "管理员管理整棵组织树，不设范围", "an admin sees the whole org tree and takes no scope"
    ),
    "scope_required": Words(
        "角色 {role} 须指定所管辖的党组织（--scope 组织代码）",
        "role {role} needs a scope: the code of an org (--scope ORG_CODE)",
    ),
    "unknown_scope": Words("没有代码为 {code} 的党组织", "no org has the code {code}"),
    "dissolved_scope": Words("党组织 {code} 已撤销", "org {code} is dissolved"),
    "grids_for_grid_workers": Words("只有网格员可指定网格", "only grid workers have grids"),
    "unknown_grid": Words("没有这些网格：{grids}", "no such grids: {grids}"),
    "bad_password": Words(
        "密码须为 {least}–{most} 个字符", "the password must have {least}-{most} characters"
    ),
    "short_password": Words(
        "密码至少 {least} 个字符", "the password must have at least {least} characters"
    ),
    "long_password": Words(
        "密码最多 {most} 个字符", "the password may have at most {most} characters"
    ),
    "bad_display_name": Words("显示名须为 1–128 个字符", "display_name must have 1-128 characters"),
    "bad_expiry": Words("有效天数须为 1–{most}", "expiry must be 1-{most} days"),
    # ---------------------------------------------------------------- files in and out (exchange)
    "export_unknown_format": Words(
        "不支持的导出格式：{fmt}", "unknown export format: {fmt}", code="unknown_format"
    ),
    "export_geometry_too_large": Words(
        "{kind_zh} {key} 的几何有 {length} 个字符，超过 Excel 单元格上限 {limit}："
        "请导出为 GeoPackage 或 GeoJSON",
        "the geometry of {kind} {key} takes {length} characters, over Excel's {limit} per cell: "
        "export as GeoPackage or GeoJSON",
        code="geometry_too_large",
    ),
    # ---------------------------------------------------------------- position reports
    "report_problem": Words("第 {n} 条位置报告：{problem_zh}", "reports[{i}]: {problem_en}"),
    "report_problem_with_id": Words(
        "第 {n} 条位置报告（report_id {rid}）：{problem_zh}",
        "reports[{i}] (report_id {rid}): {problem_en}",
    ),
    "report_missing_field": Words(
        "缺少字段 {name}", "field {name} is missing", code="missing_field"
    ),
    "report_id_not_text": Words(
        "report_id 应为字符串：{value}",
        "report_id must be a string: {value}",
        code="invalid_report_id",
    ),
    "report_id_length": Words(
        "report_id 应为 1 到 {most} 个可打印字符",
        "report_id must be 1 to {most} printable characters",
        code="invalid_report_id",
    ),
    "report_member_id": Words(
        "member_id 应为正整数：{value}",
        "member_id must be a positive integer: {value}",
        code="invalid_member_id",
    ),
    "report_not_a_number": Words(
        "{name} 应为数字：{value}", "{name} must be a number: {value}", code="not_a_number"
    ),
    "report_not_finite": Words(
        "{name} 应为有限的数字：{value}",
        "{name} must be a finite number: {value}",
        code="not_a_number",
    ),
    "time_not_text": Words(
        "{name} 应为带时区的 ISO 8601 时间字符串：{value}",
        "{name} must be an ISO 8601 time string with a UTC offset: {value}",
        code="invalid_time",
    ),
    "time_unreadable": Words(
        "{name} 不是 ISO 8601 时间（如 2025-06-01T08:30:00+08:00）：{value}",
        "{name} is not an ISO 8601 time (like 2025-06-01T08:30:00+08:00): {value}",
        code="invalid_time",
    ),
    "naive_time": Words(
        "{name} 缺少时区（如 +08:00 或 Z）：{value}",
        "{name} has no UTC offset (like +08:00 or Z): {value}",
    ),
    "future_time": Words(
        "reported_at 晚于服务器当前时间 5 分钟以上：{value}（请检查手机时钟）",
        "reported_at is more than 5 minutes after the server's time: {value} "
        "(check the phone's clock)",
    ),
    "report_accuracy": Words(
        "accuracy_m 应不小于 0 且小于 {most}（米）：{value}",
        "accuracy_m must be at least 0 and below {most} (metres): {value}",
        code="out_of_range",
    ),
    "unknown_source": Words(
        "未知的 source：{value}（可选：{options_zh}）",
        "unknown source: {value} (one of: {options})",
    ),
    "report_not_an_object": Words(
        "应为 JSON 对象：{value}", "must be a JSON object: {value}", code="not_an_object"
    ),
    "report_outside_china": Words(
        "坐标不在中国境内", "coordinates outside China", code="outside_china"
    ),
    "report_unknown_member": Words(
        "没有 id 为 {id} 的党员", "no member with id {id}", code="unknown_member"
    ),
    # ---------------------------------------------------------------- sessions and tokens (issue 13)
    "session_ended": Words(
        "会话已结束（已退出登录、账号被停用或权限变更），请重新登录",
        "the session has ended (logged out, account disabled or its role changed): "
        "please log in again",
        code="unauthorized",
    ),
    # ---------------------------------------------------------------- import jobs
    "import_duplicate_in_file": Words(
        "{label} {key} 在文件中出现 {times} 次（第 {first}、{other} {unit}{more}），"
        "每条记录只能出现一次",
        "{name} {key} appears {times} times in the file ({unit_en} {first}, {other}{more_en}); "
        "each record may appear once",
        code="duplicate_in_file",
    ),
    "import_too_many_rows": Words(
        "文件有 {count} {unit}数据，超过每次导入 {limit} {unit}的上限（MAPSVC_IMPORT_MAX_ROWS）："
        "请拆分后分批导入。未写入任何数据",
        "the file holds {count} {unit_en}, over the limit of {limit} {unit_en} per import "
        "(MAPSVC_IMPORT_MAX_ROWS): split it and import the parts. Nothing was written",
        code="too_many_rows",
    ),
    "import_upload_too_large": Words(
        "文件大小 {size_mb:.1f} MB，超过 {mb:g} MB 的上限（MAPSVC_IMPORT_MAX_MB）："
        "请拆分后分批导入，或在服务器上用 mapsvc import 导入",
        "the file takes {size_mb:.1f} MB, over the {mb:g} MB limit (MAPSVC_IMPORT_MAX_MB): "
        "split it, or import it on the server with mapsvc import",
        code="file_too_large",
    ),
    "import_cancelled": Words(
        "导入已取消，未写入任何数据", "the import was cancelled; nothing was written"
    ),
    "import_failed": Words(
        "导入意外中止（{reason}），未写入任何数据，请重新上传",
        "the import stopped unexpectedly ({reason}); nothing was written, upload it again",
    ),
    "import_job_running": Words(
        "您已有一个导入任务尚未结束（编号 {id}，{file}，{status_zh}）：请等它结束或取消后再上传",
        "you already have an import that has not ended (job {id}, {file}, {status}): wait "
        "for it or cancel it, then upload again",
        code="import_running",
    ),
    "import_job_not_found": Words(
        "没有编号为 {id} 的导入任务", "no import job {id}", code="not_found"
    ),
    "import_job_ended": Words(
        "导入任务 {id} 已结束（{status_zh}），无法取消",
        "import job {id} has ended ({status}); it cannot be cancelled",
        code="import_ended",
    ),
    "import_job_bad_id": Words(
        "导入任务编号应为正整数：{raw}",
        "an import job id is a positive integer: {raw}",
        code="not_found",
    ),
    # ---------------------------------------------------------------- territory: areas at every level
    # (issue 18: stats for any area; the `missing` notes say what a partial hierarchy lacks)
    "invalid_area": Words(
        "区划代码应为 12 位数字（首位不为 0）：{area}",
        "an area code has 12 digits, the first not 0: {area}",
    ),
    "stats_unknown_area": Words(
        "没有代码为 {area} 的区划，其下也没有已载入的区划",
        "no area has the code {area}, and no area held lies below it",
        code="unknown_area",
    ),
    "missing_children": Words(
        "{name}（{code}）下尚未载入{below_zh}", "no {below} loaded under {name} ({code}) yet"
    ),
    "missing_grids": Words(
        "{name}下有 {count} 个社区（村）尚未划分网格",
        "{count} communities or villages under {name} have no grids yet",
    ),
    "missing_area": Words(
        "区划 {code} 本身未载入：这里汇总其下已载入的 {count} 个区划",
        "area {code} itself is not loaded: these figures add up the {count} areas held below it",
    ),
    "unplaced_orgs": Words(
        "有 {count} 个党组织本身及其上级都未标明所在区划，不计入任何区划",
        "{count} orgs have no area on them or above them in the tree: they count in no area",
    ),
    "no_areas": Words(
        "数据库中尚未载入任何区划，无法按区划统计",
        "no areas are loaded yet: there is nothing to count by area",
    ),
    # ---------------------------------------------------------------- classes of input (issue 13)
    "lon_missing": Words(
        "缺少经度 lon：只给了纬度 lat，位置无法确定",
        "lon is missing: lat was given without it, so there is no location",
        code="coordinate_missing",
    ),
    "lat_missing": Words(
        "缺少纬度 lat：只给了经度 lon，位置无法确定",
        "lat is missing: lon was given without it, so there is no location",
        code="coordinate_missing",
    ),
    "coordinate_not_a_number": Words(
        "坐标必须是数字（JSON 数值，不加引号）：{value}",
        "coordinates must be a number (a JSON number, not in quotes): {value}",
    ),
    "value_not_a_json_number": Words(
        "必须是数字（JSON 数值，不加引号）：{value}",
        "must be a number (a JSON number, not in quotes): {value}",
        code="not_a_number",
    ),
    "code_not_ascii": Words(
        "只能用半角字母和数字（ASCII），不能用全角字符或形似的其他文字：{value} 中有"
        "“{char}”（{point}）",
        "must be ASCII letters and digits, not full-width characters or look-alike letters"
        " of other scripts: {value} holds {char} ({point} {char_name})",
    ),
    "code_not_ascii_meant": Words(
        "只能用半角字母和数字（ASCII），不能用全角字符：{value} 中有“{char}”（{point}），"
        "是否应为 {plain}？",
        "must be ASCII letters and digits, not full-width characters: {value} holds {char}"
        " ({point} {char_name}); did you mean {plain}?",
        code="code_not_ascii",
    ),
    # ---- files in and out: readers and reports
    # (the import/export modules' refusals, warnings and report lines; keyed by the wire
    # code, `code=` where several wordings share one)
    "list_more": Words("等", " …"),
    "csv_column_at": Words("第 {n} 列", "column {n}"),
    "column_with_header": Words("{where}（{header}）", "{where} ({header})"),
    "old_excel_format": Words(
        "不支持旧版 Excel（{what}）文件，请另存为 .xlsx 后再导入",
        "old Excel ({what}) files are not supported: save as .xlsx and import that",
    ),
    "old_excel_or_wps": Words(
        "不支持旧版 Excel（{what}）文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入",
        "old Excel ({what}) files are not supported: save as .xlsx and import that",
        code="old_excel_format",
    ),
    "unreadable_file": Words(
        "无法按 {label} 格式读取该文件：{error}", "the file cannot be read as {label}: {error}"
    ),
    "unreadable_layer": Words(
        "无法读取该文件：{error}", "the file cannot be read: {error}", code="unreadable_file"
    ),
    "crs_assumed": Words(
        "文件未注明坐标系，已按 WGS84（GPS）处理。若坐标取自高德、腾讯、微信地图（GCJ-02）或"
        "百度地图（BD-09），请用 --crs gcj02 或 --crs bd09 重新导入：这类坐标偏移约数百米，"
        "从文件本身无法识别",
        "the file does not say which coordinate system it uses, so WGS84 (GPS) was "
        "assumed. If the coordinates come from Gaode/Amap, Tencent or WeChat maps "
        "(GCJ-02) or Baidu (BD-09), import again with --crs gcj02 or --crs bd09: their "
        "offset of a few hundred metres cannot be detected from the file",
    ),
    "crs_overridden": Words(
        "文件注明的坐标系是 {file_crs}，已按指定的 {option} 处理",
        "the file says {file_crs}; treated as {option} as asked",
    ),
    "encoding_gbk": Words(
        "文件不是 UTF-8 编码，已按 GBK/GB18030 读取",
        "the file is not UTF-8; read as GBK/GB18030",
        code="encoding",
    ),
    "encoding_no_cpg": Words(
        "Shapefile 没有 .cpg 文件，文字已按 {codec} 读取，请核对",
        "the shapefile has no .cpg; text was read as {codec}: check it",
        code="encoding",
    ),
    "bad_geojson_json": Words(
        "GeoJSON 不是有效的 JSON：第 {line} 行 {error}",
        "the GeoJSON is not valid JSON: line {line}: {error}",
        code="bad_json",
    ),
    "bad_geojson": Words(
        "GeoJSON 应为 FeatureCollection 或 Feature",
        "GeoJSON must be a FeatureCollection or a Feature",
    ),
    "unknown_geojson_crs": Words(
        "无法识别 GeoJSON 的 crs：{name}；请用 --crs 指定",
        "unknown GeoJSON crs: {name}; pass --crs",
        code="unknown_crs",
    ),
    "no_crs": Words(
        "GeoPackage 图层没有坐标系（SRS），请用 --crs 指定",
        "the GeoPackage layer has no coordinate system (SRS): pass --crs",
    ),
    "no_layer": Words("GeoPackage 中没有图层", "the GeoPackage holds no layer"),
    "layer_chosen": Words(
        "GeoPackage 有 {count} 个图层，只导入了“{name}”",
        'the GeoPackage has {count} layers; only "{name}" was imported',
    ),
    "no_prj": Words(
        "Shapefile 缺少 .prj 文件，无法确定坐标系。请用 --crs 指定（如 --crs cgcs2000、"
        "--crs EPSG:4546；来自高德/腾讯地图的用 --crs gcj02，百度用 --crs bd09）："
        "GCJ-02 与 WGS84 坐标只差几百米，从文件本身无法区分",
        "the shapefile has no .prj, so its coordinate system is unknown. Pass --crs (for "
        "example --crs cgcs2000 or --crs EPSG:4546; gcj02 for Gaode/Tencent data, bd09 "
        "for Baidu): GCJ-02 and WGS84 differ by a few hundred metres and cannot be told "
        "apart from the file itself",
    ),
    "no_shapefile": Words("压缩包中没有 .shp 文件", "the zip holds no .shp file"),
    "several_shapefiles": Words(
        "压缩包中有多个 Shapefile：{names_zh}；请每个压缩包只放一个",
        "the zip holds several shapefiles: {names}; put one per zip",
    ),
    "incomplete_shapefile": Words(
        "Shapefile 缺少 {ext} 文件：请把 .shp、.shx、.dbf、.prj 一起压缩",
        "the shapefile has no {ext}: zip .shp, .shx, .dbf and .prj together",
    ),
    "encrypted_file": Words(
        "工作簿设有密码，请取消密码保护后再导入",
        "the workbook is password-protected: remove the password and import it",
    ),
    "sheet_chosen": Words(
        "工作簿有 {count} 个工作表，只导入了“{name}”",
        'the workbook has {count} sheets; only "{name}" was imported',
    ),
    "merged_header": Words(
        "表头（第 1 行）有合并单元格 {cells_zh}：请取消合并，"
        "每列只留一个表头。如果第 1 行是标题，请删除标题行，让表头位于第 1 行",
        "the header (row 1) has merged cells {cells}: unmerge them so "
        "each column has one header of its own. If row 1 is a title, delete it so "
        "the header is row 1",
    ),
    "merged_cells_filled": Words(
        "合并单元格 {cells_zh} 的值已用于其中的每一行，请核对",
        "the value of merged cells {cells} was used for every row they span: check it",
    ),
    "duplicate_column": Words(
        "列 {first}（{first_header}）和列 {second}（{second_header}）都表示“{label}”，请只保留一列",
        "columns {first} ({first_header}) and {second} ({second_header}) both mean "
        "{name}: keep one of them",
    ),
    "id_number_dropped": Words(
        "身份证号属于敏感个人信息，本系统不予存储，已丢弃列：{columns_zh}",
        "ID card numbers are sensitive personal data this service never stores; dropped: {columns}",
    ),
    "unknown_column": Words(
        "未识别的列，已忽略：{columns_zh}（可用的列名如：{known_zh}，或对应的英文字段名）",
        "columns not recognised, ignored: {columns} (use the field names or their Chinese labels)",
    ),
    "conflicting_crs": Words(
        "列名注明的坐标系互相矛盾：{headers}",
        "the headers name different coordinate systems: {headers}",
    ),
    "no_known_columns": Words(
        "第 1 行不是可识别的表头：没有一列对应该类记录的字段（表头应在第 1 行）",
        "row 1 is not a header this kind of record understands: no column "
        "matches a field (the header must be in row 1)",
    ),
    "values_without_header": Words(
        "有 {count} 行在没有表头或未识别的列中有内容，已忽略",
        "{count} rows hold values in columns without a known header; those values were ignored",
    ),
    "unknown_kind": Words(
        "未知的记录类型：{kind}（可选：{choices_zh}）", "unknown kind: {kind} (one of: {choices})"
    ),
    "no_rows": Words("文件中没有数据行", "the file holds no data rows"),
    "commit_failed": Words(
        "提交失败，未写入任何数据：{error}", "the commit failed; nothing was written: {error}"
    ),
    "import_out_of_scope": Words(
        "该行记录不在您的管辖范围内（或您的角色无权导入此类记录）",
        "this row is outside your scope (or your role may not import this kind)",
        code="out_of_scope",
    ),
    "read_only_columns": Words(
        "以下列由系统维护，导入时已忽略：{labels_zh}",
        "these columns are maintained by the service and were ignored: {names}",
    ),
    "id_without_version": Words(
        "编号：按编号更新{kind_zh}只适用于本系统导出的文件（带“版本”列）。"
        "如果“编号”是表格自己的序号，请把该列改名为“序号”或删除；新增的请留空",
        "id: updating {kind}s by id works only with files exported "
        "by this service (they carry a version column). If the id column is the "
        "sheet's own numbering, rename it {serial_zh} or delete it; leave it empty for new "
        "ones",
    ),
    "unknown_id": Words(
        "{kind_zh}编号 {id} 不存在（新增{kind_zh}请把编号留空）",
        "{kind} id {id} does not exist (leave the id empty to add one)",
    ),
    "masked_phone": Words(
        "{value} 是隐去中间四位的号码，新记录请填写完整号码或留空",
        "{value} is a masked number; give the full number for a new record, or leave it empty",
    ),
    "bad_version": Words("版本：应为整数：{value}", "version: must be an integer: {value}"),
    "version_conflict": Words(
        "{kind_zh} {key} 在导出后已被他人修改（文件中为第 {expected} "
        "版，现为第 {now} 版）：为免覆盖他人的修改，请重新导出后再改",
        "{kind} {key} was changed by someone else since the file "
        "was exported (file version {expected}, now {now}): export again and "
        "redo the change, so nobody's edit is overwritten",
    ),
    "org_cycle_in_file": Words(
        "上级组织编码：文件中的上下级关系成环：{chain}（第 {rows_zh} 行）",
        "parent_code: the parent links in the file form a loop: {chain} (rows {rows})",
    ),
    "parent_refused": Words(
        "上级组织编码：上级组织 {parent}（文件第 {number} {unit_zh}）未能导入，本组织随之未导入",
        "parent_code: the parent org {parent} ({unit} {number} of the "
        "file) was refused, so this org was not imported either",
    ),
    "no_roads": Words(
        "文件中没有可用的道路，原有路网保持不变",
        "the file holds no usable road; the network was left as it was",
    ),
    "road_too_short": Words("线路：不足 1 米，已跳过", "geometry: shorter than a metre, skipped"),
    "network_disconnected": Words(
        "路网由 {parts} 个互不相连的部分组成，最大的部分占 {share:.0%} 的路段；"
        "不相连的部分之间无法计算步行距离（线路只在端点处相连）",
        "the network falls into {parts} parts that do not connect; the largest "
        "holds {share:.0%} of the roads. Walks between parts cannot be routed (lines "
        "join only at their ends)",
    ),
    "import_worker_gone": Words("处理该任务的进程已退出", "the process running it ended"),
    # the text report (mapsvc import): a summary line in each language, then the lists
    "import_summary": Words(
        "导入 {file}（{fmt}，{kind_zh}，坐标系 {crs}）："
        "共 {rows} 行，新增 {inserted}，更新 {updated}{extra_zh}，"
        "有问题 {rejected} 行 —— {head_zh}",
        "import {file} ({fmt}, {kind}, CRS {crs}): "
        "{rows} rows, {inserted} inserted, {updated} updated"
        "{extra_en}, {rejected} with problems — {head_en}",
    ),
    "import_head_written": Words("已写入", "written"),
    "import_head_dry_run": Words("试导入（未写入）", "dry run (nothing written)"),
    "import_head_rejected": Words("已拒绝，未写入任何数据", "rejected, nothing written"),
    "import_head_cancelled": Words("已取消，未写入任何数据", "cancelled, nothing written"),
    "import_head_dry_run_rejected": Words("试导入：会被拒绝", "dry run: would be rejected"),
    "import_unchanged_note": Words(
        "（其中 {unchanged} 条与库中相同，未改动）",
        " ({unchanged} of them identical to the stored ones, left as is)",
    ),
    "import_roads_note": Words(
        "，顶点 {vertices}，替换原有道路 {replaced} 条",
        ", {vertices} vertices, replacing {replaced} roads",
    ),
    "import_problems_heading": Words("问题", "problems"),
    "import_warnings_heading": Words("提示", "warnings"),
    "import_omitted": Words(
        "……另有 {n} 个 {code} 问题未列出（每种问题列出前若干个）",
        "… and {n} more {code} problems not listed (the first of each are)",
    ),
    "import_more_warnings": Words(
        "……另有 {more} 条提示（--json 可看全部）",
        "… and {more} more warnings (--json shows them all)",
    ),
    "import_at_row": Words("第 {n} 行", "row {n}"),
    "import_at_feature": Words("第 {n} 个要素", "feature {n}"),
    # ---------------------------------------------------------------- serving, backups, roles
    "pg_tool_missing": Words(
        "找不到 PostgreSQL 客户端程序 {tool}：请安装 postgresql-client-15，或设置 PG_BINDIR",
        "the PostgreSQL client program {tool} is missing: install postgresql-client-15 "
        "or set PG_BINDIR",
    ),
    "pg_tool_failed": Words("{tool} 执行失败：{detail}", "{tool} failed: {detail}"),
    "backup_written": Words(
        "已将数据库 {db} 备份到 {file}（{size} 字节）",
        "backed up the database {db} to {file} ({size} bytes)",
    ),
    "restore_no_file": Words("找不到备份文件 {file}", "no backup file {file}"),
    "restore_not_empty": Words(
        "数据库 {db} 中已有数据：恢复会替换全部数据，确认请加 --yes",
        "the database {db} holds data: a restore replaces all of it; add --yes to confirm",
    ),
    "restore_no_revision": Words(
        "备份 {file} 中没有数据库结构版本（alembic_version），不是 mapsvc 的备份",
        "the backup {file} holds no schema revision (alembic_version): not a mapsvc backup",
    ),
    "restore_unknown_revision": Words(
        "备份的数据库结构版本 {revision} 比本程序新：请先升级 mapsvc 再恢复",
        "the backup's schema revision {revision} is newer than this mapsvc: upgrade it first",
    ),
    "restore_done": Words(
        "已从 {file} 恢复数据库 {db}，结构版本 {revision}",
        "restored the database {db} from {file}, schema revision {revision}",
    ),
    "restore_behind": Words(
        "结构版本 {revision} 落后于本程序的 {head}：请运行 mapsvc db migrate",
        "schema revision {revision} is behind this mapsvc's {head}: run mapsvc db migrate",
    ),
    "restore_revision_changed": Words(
        "恢复后的结构版本 {found} 与备份中的 {revision} 不一致",
        "the restored schema revision {found} differs from the backup's {revision}",
    ),
}


def words(key: str, /, *, as_code: str | None = None, **values) -> tuple[str, str, str]:
    """(client-facing code, 中文, English) of the message `key` filled with values."""
    w = MESSAGES[key]
    return as_code or w.code or key, w.zh.format(**values), w.en.format(**values)
