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
    "method_not_allowed": Words("不支持该请求方法", "method not allowed"),
    "http_error": Words("{name}", "{name}"),
    "database_unavailable": Words(
        "数据库暂时不可用，请稍后再试", "the database is unavailable for the moment, please try again"
    ),
    "internal_error": Words("服务器内部错误，请稍后再试", "internal server error, please try again later"),
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
        "参数 {name} 应大于 0：{raw}", "parameter {name} must be greater than 0: {raw}", code="out_of_range"
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
        "参数 {name} 不能超过 {max} 个字", "parameter {name} must be at most {max} characters", code="too_long"
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
    "other_origin": Words("请求来源不是本站", "the request comes from another origin", code="forbidden"),
    "csrf_failed": Words(
        "页面已过期（CSRF 校验失败），请刷新后重试",
        "the page has expired (CSRF check failed): reload it and try again",
        code="forbidden",
    ),
    "admins_only_audit": Words(
        "只有系统管理员可查看审计日志", "only admins see the audit log", code="forbidden"
    ),
    # ---------------------------------------------------------------- routes (request shapes)
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
    # ---------------------------------------------------------------- records and their validation
    # ---------------------------------------------------------------- files in and out (exchange)
}
