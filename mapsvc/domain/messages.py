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
    # ---------------------------------------------------------------- files in and out (exchange)
}
