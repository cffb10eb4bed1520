"""Real place names, codes, boundaries and reference points for the demo territory.

Names, codes and the boundaries of the province, its cities and counties are real (read from
geodata/data, see its README); every other geometry and every person generated with them is
synthetic.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, shape

DATA = Path(__file__).resolve().parent.parent / "data"

PROVINCE_CODE = "610000000000"
PROVINCE_NAME = "陕西省"
CITY_CODE = "610800000000"
CITY_NAME = "榆林市"
SEAT_COUNTY = "610802"  # 榆阳区, the urban district of 榆林市
DISTRICT_CODE = SEAT_COUNTY  # the seat county's org code (kept for old callers)
DISTRICT_NAME = "榆阳区"
CITY_ORG_CODE = "610800"
PROVINCE_ORG_CODE = "610000"
CENTRE_LONLAT = (109.7345, 38.2852)
PROVINCE_CENTRE = (108.9398, 34.3416)  # 西安

# county seats (县城) of 榆林市; other counties use a point inside their boundary
SEATS = {
    "610802": CENTRE_LONLAT,
    "610803": (109.2940, 37.9621),
    "610881": (110.4989, 38.8425),
    "610822": (111.0670, 39.0285),
    "610824": (108.7937, 37.5994),
    "610825": (107.6012, 37.5944),
    "610826": (110.2633, 37.5027),
    "610827": (110.1838, 37.7553),
    "610828": (110.4910, 38.0194),
    "610829": (110.7397, 37.4520),
    "610830": (110.1213, 37.0883),
    "610831": (110.0352, 37.6104),
    "610102": PROVINCE_CENTRE,
}


@lru_cache(maxsize=1)
def boundaries() -> dict[str, dict]:
    """Shaanxi's province, cities and counties: 12-digit code → {code, name, level, geom}."""
    text = (DATA / "shaanxi_areas.geojson").read_text(encoding="utf-8")
    out = {}
    for f in json.loads(text)["features"]:
        props = f["properties"]
        geom = shape(f["geometry"])
        if not isinstance(geom, MultiPolygon):
            geom = MultiPolygon([geom])
        shapely.prepare(geom)
        out[props["code"]] = {**props, "geom": geom}
    return out


@lru_cache(maxsize=1)
def townships() -> dict[str, list[tuple[str, str]]]:
    """County code (6 digits) → [(12-digit code, name)] of its streets and towns, by code.

    Units coded 400 and above (farms, scenic and development zones; 21 in Shaanxi) are left
    out: they are not streets or towns."""
    out: dict[str, list[tuple[str, str]]] = {}
    with open(DATA / "shaanxi_townships.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["code"][6:9] < "400":
                out.setdefault(row["code"][:6], []).append((row["code"], row["name"]))
    return out


def seat(county_code: str) -> tuple[float, float]:
    """A county's seat: the known one, else a point well inside its boundary."""
    geom = boundaries()[county_code + "000000"]["geom"]
    if county_code in SEATS and geom.contains(shapely.Point(SEATS[county_code])):
        return SEATS[county_code]
    biggest = max(geom.geoms, key=lambda g: g.area)
    p = shapely.maximum_inscribed_circle(biggest, 0.002).coords[0]
    return (float(p[0]), float(p[1]))


def unit_word(county_name: str) -> str:
    """The word a county's own departments use: 区, 县 or 市 (区委办公室, 县财政局 …)."""
    return county_name[-1] if county_name[-1] in "区县市" else "县"


# real community names first, generated ones after
COMMUNITY_NAMES = {
    "鼓楼街道": ["普惠泉社区", "东沙社区", "西沙社区"],
    "上郡路街道": ["夏洲路社区", "上郡路社区"],
    "青山路街道": ["青山路社区", "广济路社区"],
    "新明楼街道": ["新明楼社区", "常乐堡社区"],
}
COMMUNITY_STEMS = [
    "永安",
    "文昌",
    "凌霄",
    "长乐",
    "安康",
    "和平",
    "振兴",
    "兴榆",
    "金阳",
    "明德",
    "塞上",
    "榆溪",
    "驼峰",
    "沙河",
    "榆卜",
    "新建",
    "红山",
    "三岔湾",
    "王家梁",
    "建业",
    "春晖",
    "钟楼",
    "南门",
    "北门",
    "西园",
    "东岳",
    "星元",
    "航宇",
    "崇文",
    "富康",
    "朝阳",
    "芙蓉",
    "泰和",
    "康乐",
    "锦华",
    "天福",
    "榆阳",
    "怡和",
    "阳光",
    "惠民",
    "古城",
    "镇北",
    "世纪",
    "华苑",
]
VILLAGE_STEMS = [
    "刘家",
    "王家",
    "张家",
    "李家",
    "高家",
    "马家",
    "杨家",
    "郭家",
    "贺家",
    "白家",
    "冯家",
    "赵家",
    "常家",
    "乔家",
    "雷家",
    "曹家",
    "霍家",
    "柳家",
    "黄家",
    "何家",
    "薛家",
    "苗家",
]
VILLAGE_SUFFIXES = ["湾", "梁", "畔", "峁", "沟", "滩", "塔", "圪堵", "伙场", "沙", "寨", "河"]

SURNAMES = [
    ("王", 9),
    ("李", 8),
    ("张", 7),
    ("刘", 8),
    ("高", 6),
    ("马", 5),
    ("杨", 5),
    ("郭", 4),
    ("贺", 4),
    ("白", 4),
    ("冯", 3),
    ("赵", 4),
    ("常", 3),
    ("乔", 2),
    ("雷", 2),
    ("曹", 3),
    ("霍", 2),
    ("陈", 4),
    ("薛", 2),
    ("苗", 2),
    ("黄", 2),
    ("拓", 1),
    ("折", 1),
    ("呼", 1),
    ("惠", 1),
    ("訾", 1),
    ("艾", 1),
    ("尚", 1),
    ("孙", 3),
    ("周", 3),
    ("吴", 2),
    ("徐", 2),
]
GIVEN_MALE = list("建军国强伟峰涛斌勇鹏志刚海明东亮华平文杰永忠宏飞磊超俊浩宇")
GIVEN_FEMALE = list("芳丽娟敏静燕霞红梅玲艳秀英琴颖慧婷雪洁佳萍琳倩悦欣蓉")

ROAD_NAMES_EW = [
    "长城路",
    "人民路",
    "新建路",
    "上郡路",
    "肤施路",
    "榆阳路",
    "文化路",
    "沙河路",
    "航宇路",
    "驼峰路",
    "明珠大道",
    "金沙路",
    "崇文路",
    "建业大道",
    "广场路",
    "榆溪大道",
    "朝阳路",
]
ROAD_NAMES_NS = [
    "鼓楼街",
    "青山街",
    "新华街",
    "南门街",
    "北大街",
    "星元街",
    "永安街",
    "富康街",
    "凌霄街",
    "常乐街",
    "东环路",
    "西环路",
    "榆林大道",
    "高新大道",
    "芙蓉街",
    "锦华街",
    "春晖街",
]

# destination cities of mobile members: name, lon, lat, weight
DESTINATIONS = [
    ("西安", 108.9398, 34.3416, 25),
    ("鄂尔多斯", 109.7810, 39.6083, 15),
    ("北京", 116.4074, 39.9042, 10),
    ("银川", 106.2309, 38.4872, 8),
    ("包头", 109.8403, 40.6574, 7),
    ("深圳", 114.0579, 22.5431, 6),
    ("上海", 121.4737, 31.2304, 6),
    ("太原", 112.5489, 37.8706, 5),
    ("呼和浩特", 111.7492, 40.8426, 5),
    ("兰州", 103.8343, 36.0611, 3),
    ("广州", 113.2644, 23.1291, 3),
    ("成都", 104.0665, 30.5723, 3),
    ("天津", 117.2008, 39.0842, 2),
    ("杭州", 120.1551, 30.2741, 2),
]

GOVERNMENT_UNITS = [
    "区委办公室",
    "区政府办公室",
    "区委组织部",
    "区委宣传部",
    "区发展和改革局",
    "区财政局",
    "区教育和科技局",
    "区卫生健康局",
    "区民政局",
    "区人力资源和社会保障局",
    "区自然资源局",
    "区住房和城乡建设局",
    "区交通运输局",
    "区农业农村局",
    "区水利局",
    "区商务局",
    "区文化和旅游局",
    "区应急管理局",
    "区审计局",
    "区市场监督管理局",
    "区统计局",
    "区医疗保障局",
    "区退役军人事务局",
    "区生态环境分局",
    "区司法局",
    "区公安分局",
    "区人民法院",
    "区人民检察院",
    "区总工会",
    "团区委",
    "区妇联",
    "区税务局",
    "区信访局",
    "区林业局",
    "区能源局",
    "区城市管理执法局",
]
PUBLIC_INSTITUTIONS = [
    "区人民医院",
    "区中医医院",
    "区妇幼保健院",
    "区疾病预防控制中心",
    "区图书馆",
    "区文化馆",
    "区档案馆",
    "区融媒体中心",
    "区农业技术推广中心",
    "区社会保险经办中心",
    "区不动产登记中心",
    "区公共就业服务中心",
    "区政务服务中心",
    "区园林绿化中心",
    "区环境卫生服务中心",
]
SCHOOL_KINDS = ["小学", "中学", "幼儿园", "职业中学"]
SOE_NAMES = [
    "榆阳区城市投资建设集团",
    "榆阳区能源开发集团",
    "榆阳区供水公司",
    "榆阳区热力公司",
    "榆阳区公共交通公司",
    "榆阳区农业发展投资公司",
    "榆阳区文化旅游投资公司",
    "榆阳区粮油储备公司",
]
NON_PUBLIC_STEMS = [
    "塞上",
    "驼城",
    "榆溪",
    "长城",
    "北方",
    "金沙",
    "瑞丰",
    "恒源",
    "鑫源",
    "宏达",
    "天元",
    "华盛",
    "兴隆",
    "永兴",
    "鼎盛",
    "广源",
    "泰丰",
    "德润",
    "汇通",
    "盛世",
]
NON_PUBLIC_TRADES = [
    "能源有限公司",
    "煤业有限公司",
    "化工有限公司",
    "建筑工程有限公司",
    "物流有限公司",
    "商贸有限公司",
    "餐饮管理有限公司",
    "物业管理有限公司",
    "农业科技有限公司",
    "汽车服务有限公司",
    "信息技术有限公司",
    "房地产开发有限公司",
    "羊绒制品有限公司",
    "食品有限公司",
]
SOCIAL_ORGS = [
    "个体劳动者协会",
    "律师协会",
    "会计师协会",
    "慈善协会",
    "志愿者协会",
    "养老服务协会",
    "陕北民歌协会",
    "书法家协会",
    "餐饮行业协会",
    "物流行业协会",
    "社会工作服务中心",
]
STATION_PLACES = ["广场", "商圈", "产业园", "商务楼宇", "公园", "物流园", "客运站", "小区"]
SERVICES = [
    "党员活动",
    "组织关系转接",
    "党员教育",
    "流动党员服务",
    "政务代办",
    "就业服务",
    "法律咨询",
    "养老助残",
    "志愿服务",
    "便民服务",
    "心理疏导",
    "儿童托管",
]
