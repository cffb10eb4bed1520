"""The domain's rules in numbers: how big a branch may be, how far a service point reaches.

Sources: the party's organisation rules (domain.md) and the service-circle planning figures.
Plain data: this module imports nothing of the service.
"""

from __future__ import annotations

# organisation rules: 3 full members set up an org; a branch of more than 50 members should
# become a general branch; fewer than 3 full members should join a joint branch
MIN_FULL_MEMBERS = 3
MAX_BRANCH_MEMBERS = 50

# the reach of a service point by its level: a station's 10-minute circle (500 m), a
# community centre's 15-minute circle (1000 m), street and district centres 1500 m
LEVEL_REACH_M = {
    "station": 500.0,
    "community_centre": 1000.0,
    "street_centre": 1500.0,
    "district_centre": 1500.0,
}

WALKING_SPEED_M_PER_MIN = 75.0  # 4.5 km/h, a common planning figure for adults on foot
