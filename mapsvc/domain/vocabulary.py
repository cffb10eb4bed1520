"""Domain vocabularies with their Chinese labels, and how personal details are shown."""

from __future__ import annotations

ORG_LEVELS = {
    "committee": "党委",
    "working_committee": "党工委",
    "general_branch": "党总支",
    "branch": "党支部",
    "joint_branch": "联合党支部",
    "temporary_branch": "临时党支部",
}
ORG_CATEGORIES = {
    "government": "机关",
    "public_institution": "事业单位",
    "soe": "国有企业",
    "non_public": "非公企业",
    "social_org": "社会组织",
    "village": "农村",
    "community": "社区",
    "school": "学校",
    "migrant": "流动",
}
SERVICE_POINT_LEVELS = {
    "district_centre": "区级党群服务中心",
    "street_centre": "街道（镇）党群服务中心",
    "community_centre": "社区（村）党群服务中心",
    "station": "党群服务站",
}
AREA_LEVELS = {
    "district": "区县",
    "street": "街道",
    "town": "镇乡",
    "community": "社区",
    "village": "村",
}


ROLE_LABELS = {
    "admin": "系统管理员",
    "org_admin": "组织部门管理员",
    "secretary": "支部书记",
    "grid_worker": "网格员",
    "viewer": "查看者",
    "kiosk": "大屏",
    "anonymous": "未登录",
}


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough to recognise a number, not enough to dial it."""
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
