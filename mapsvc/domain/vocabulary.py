"""The domain's words: every enumeration with its Chinese labels, field labels, and how
personal details are shown.

The record kinds (mapsvc.records.catalog), the map layers (layers.catalog) and the services
take their words from here. Plain data: this module imports nothing of the service.
"""

from __future__ import annotations

from typing import NamedTuple

# ------------------------------------------------------------------ enumerations
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
# a migrant party group is an org of category migrant (set up where mobile members live)
MIGRANT_CATEGORIES = {"migrant": ORG_CATEGORIES["migrant"]}
ORG_STATUSES = {"active": "正常", "dissolved": "已撤销"}
SERVICE_POINT_LEVELS = {
    "district_centre": "区级党群服务中心",
    "street_centre": "街道（镇）党群服务中心",
    "community_centre": "社区（村）党群服务中心",
    "station": "党群服务站",
}
# top to bottom; county covers 区, 县, county-level 市 and 旗 (issue 18: was `district`)
AREA_LEVELS = {
    "province": "省",
    "city": "市",
    "county": "区县",
    "street": "街道",
    "town": "镇乡",
    "community": "社区",
    "village": "村",
}
MEMBER_STATUSES = {"full": "正式党员", "probationary": "预备党员"}
GENDERS = {"M": "男", "F": "女"}
# urban road classes (CJJ 37: 主干路, 次干路, 支路) and footpaths
ROAD_KINDS = {"arterial": "主干路", "secondary": "次干路", "local": "支路", "path": "步行道"}
POSITION_SOURCES = {
    "gps": "卫星定位",
    "network": "网络定位",
    "manual": "手动标注",
    "import": "导入",
}

# the sites people look for (/api/v1/nearest?kind=…)
SITE_KINDS = {
    "branch": "党支部",
    "service_point": "党群服务中心",
    "migrant_group": "流动党员党支部",
}

# coverage analysis: how reach is measured, the units figures are summed over, what covers
COVERAGE_MODES = {"distance": "直线距离", "walk": "步行路网"}
COVERAGE_UNITS = {"grid": "网格", "community": "社区（村）", "street": "街道（镇）"}
COVERAGE_FACILITIES = {"service_points": "党群服务中心（站）"}

ROLE_LABELS = {
    "admin": "系统管理员",
    "org_admin": "组织部门管理员",
    "secretary": "支部书记",
    "grid_worker": "网格员",
    "viewer": "查看者",
    "kiosk": "大屏",
    "anonymous": "未登录",
}


# ------------------------------------------------------------------ field labels
class Label(NamedTuple):
    """How people call a field: in Chinese (also an import column header) and in English."""

    zh: str
    en: str


# Fields that the records API and the map layers both show, by subject. A record's Chinese
# label is its column header in exports and imports: change one only with an alias for it.
AREA_FIELDS = {
    "code": Label("区划代码", "division code"),
    "name": Label("名称", "name"),
    "level": Label("级别", "level"),
    "parent_code": Label("上级区划代码", "parent code"),
    "population": Label("人口", "population"),
    "households": Label("户数", "households"),
}
ORG_FIELDS = {
    "code": Label("组织编码", "code"),
    "name": Label("组织名称", "name"),
    "level": Label("组织层级", "level"),
    "category": Label("组织类别", "category"),
    "admin_area_code": Label("所属区划代码", "area code"),
    "address": Label("地址", "address"),
    "secretary": Label("书记", "secretary"),
    "member_count": Label("党员数", "members"),
    "full_members": Label(MEMBER_STATUSES["full"], "full members"),
    "probationary_members": Label(MEMBER_STATUSES["probationary"], "probationary members"),
    "mobile_members": Label("流动党员数", "mobile members"),
}
MEMBER_FIELDS = {
    "name": Label("姓名", "name"),
    "status": Label("党员状态", "status"),
    "mobile_destination": Label("流入地", "destination"),
    "mobile_since": Label("外出日期", "away since"),
}
GRID_FIELDS = {
    "code": Label("网格编码", "grid code"),
    "name": Label("网格名称", "name"),
    "community_code": Label("所属社区代码", "community code"),
    "grid_worker": Label("网格员", "grid worker"),
    "population": AREA_FIELDS["population"],
    "households": AREA_FIELDS["households"],
}
SERVICE_POINT_FIELDS = {
    "code": Label("服务点编码", "code"),
    "name": Label("名称", "name"),
    "level": Label("级别", "level"),
    "admin_area_code": ORG_FIELDS["admin_area_code"],
    "address": ORG_FIELDS["address"],
    "opening_hours": Label("开放时间", "opening hours"),
    "services": Label("服务项目", "services"),
    "phone": Label("电话", "phone"),
    "reach_m": Label("服务半径（米）", "reach (m)"),
}
ROAD_FIELDS = {
    "name": Label("道路名称", "name"),
    "kind": Label("道路等级", "kind"),
    "length_m": Label("长度（米）", "length (m)"),
}


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough to recognise a number, not enough to dial it."""
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


# ------------------------------------------------------------------ files in and out
# how an import counts what a file holds: spreadsheet rows or GIS features (zh, en plural)
FILE_UNITS = {"row": Label("行", "rows"), "feature": Label("个要素", "features")}
# headers an import reads as coordinates or geometry, besides each field's name and label
COORDINATE_HEADERS = {
    "lon": ("lon", "lng", "long", "longitude", "x", "经度", "东经"),
    "lat": ("lat", "latitude", "y", "纬度", "北纬"),
    "geometry": ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "空间范围", "坐标"),
}
COORDINATE_LABELS = {"lon": Label("经度", "lon"), "lat": Label("纬度", "lat")}
# headers of a citizen ID number column, recognised only to be dropped (never stored)
ID_NUMBER_HEADERS = ("身份证", "公民身份号码")
SERIAL_HEADER = "序号"  # what a sheet's own numbering column should be called
HEADER_LANGUAGES = {"en": "English", "zh": "中文"}  # a download's column names
IMPORT_JOB_STATUSES = {
    "queued": "排队中",
    "running": "进行中",
    "succeeded": "已完成",
    "rejected": "已拒绝",
    "failed": "失败",
    "cancelled": "已取消",
}
