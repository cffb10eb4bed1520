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
    # ---------------------------------------------------------------- records and their validation
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
}
