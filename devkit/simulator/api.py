"""The endpoints: each turns a request's `data` and paging into the records of one response.

Handlers see the tenant through a `View` (the generation's population, the quirks to apply, the directory,
cached counts), so they hold no state of their own and can run on many threads at once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable

from devkit.simulator import campaigns as camp
from devkit.simulator import catalogue as cat
from devkit.simulator import records
from devkit.simulator.directory import Directory, Failure
from devkit.simulator.people import User, derive, find
from devkit.simulator.population import Population
from devkit.simulator.records import Style

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
AWARENESS = "/api/awareness-training"


class ApiFailure(Exception):
    """The whole request fails: HTTP status and one fail[] error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> ApiFailure:
    return ApiFailure(400, "err_validation_failed", message)


@dataclass(frozen=True)
class Paging:
    size: int = DEFAULT_PAGE_SIZE
    position: int = 0
    seen: int = 0

    @classmethod
    def parse(cls, meta: Any) -> Paging:
        pagination = meta.get("pagination") if isinstance(meta, dict) else None
        if not isinstance(pagination, dict):
            return cls()
        try:
            size = int(pagination.get("pageSize") or DEFAULT_PAGE_SIZE)
        except (TypeError, ValueError) as err:
            raise invalid("pageSize must be a number") from err
        size = max(1, min(MAX_PAGE_SIZE, size))
        token = pagination.get("pageToken")
        if not token:
            return cls(size)
        try:
            position, seen = map(int, base64.urlsafe_b64decode(str(token) + "==").decode().split("."))
            if position < 0 or seen < 0:
                raise ValueError(token)
            return cls(size, position, seen)
        except (ValueError, UnicodeDecodeError, binascii.Error) as err:
            raise ApiFailure(400, "err_invalid_page_token", "pageToken is not valid") from err


def page_token(position: int, seen: int) -> str:
    return base64.urlsafe_b64encode(f"{position}.{seen}".encode()).decode().rstrip("=")


@dataclass
class Answer:
    data: list[Any]
    pagination: dict[str, Any] | None = None
    fail: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class View:
    population: Population
    style: Style
    directory: Directory
    count: Callable[[tuple[Any, ...], Callable[[User], bool]], int]
    totals: Callable[[str], list[camp.Totals]]

    def users(self, start: int = 0) -> Iterator[User]:
        return (derive(self.population, user_id) for user_id in self.population.ids(start))


def pagination(returned: int, total: int, position: int, seen: int) -> dict[str, Any]:
    """meta.pagination as real traffic has it: pageSize is what this page holds; next only if more."""
    result: dict[str, Any] = {"pageSize": returned, "totalCount": total}
    if seen < total:
        result["next"] = page_token(position, seen)
    return result


def user_page(
    view: View,
    paging: Paging,
    render: Callable[[User], Any],
    keep: Callable[[User], bool] | None = None,
    key: tuple[Any, ...] = (),
) -> Answer:
    """One page of users (those `keep` accepts), scanning on from where the page token says."""
    if keep is None:
        rendered = [render(user) for user in islice(view.users(paging.position), paging.size)]
        end = paging.position + len(rendered)
        return Answer(rendered, pagination(len(rendered), view.population.count, end, end))
    total = view.count(key, keep)
    rendered, position = [], paging.position
    for user in view.users(position):
        position += 1
        if keep(user):
            rendered.append(render(user))
            if len(rendered) == paging.size:
                break
    return Answer(rendered, pagination(len(rendered), total, position, paging.seen + len(rendered)))


def list_page(items: list[Any], paging: Paging) -> tuple[list[Any], dict[str, Any]]:
    """A page of a short list that the tenant holds whole (campaigns, modules, groups)."""
    page = items[paging.position : paging.position + paging.size]
    end = paging.position + len(page)
    return page, pagination(len(page), len(items), end, end)


def first(data: list[Any]) -> dict[str, Any]:
    return data[0] if data and isinstance(data[0], dict) else {}


def search_filter(options: dict[str, Any]) -> Callable[[User], bool] | None:
    """searchBy {fieldName: name|email|department|customAttribute, value}: case-insensitive substring."""
    search = options.get("searchBy")
    if not search:
        return None
    if not isinstance(search, dict):
        raise invalid("searchBy must be an object")
    fields = {"name": "name", "email": "email", "department": "department", "customAttribute": "office"}
    attribute = fields.get(search.get("fieldName", ""))
    if attribute is None:
        raise invalid(f"searchBy fieldName must be one of {', '.join(fields)}")
    value = str(search.get("value", "")).lower()
    return lambda user: value in getattr(user, attribute).lower()


def check_attribute_ids(options: dict[str, Any]) -> None:
    attribute_ids = options.get("attributeIds") or []
    if not isinstance(attribute_ids, list) or len(attribute_ids) > 3:
        raise invalid("attributeIds takes at most 3 ids")


def video_count(value: str, allowed: tuple[str, ...]) -> Callable[[int], bool]:
    if value not in allowed:
        raise invalid(f"filterBy value must be one of {', '.join(allowed)}")
    if value == "video_count_all":
        return lambda n: True
    if value.endswith("_or_more"):
        least = int(value.split("_")[2])
        return lambda n: n >= least
    exact = int(value.rsplit("_", 1)[1])
    return lambda n: n == exact


def both(*tests: Callable[[User], bool] | None) -> Callable[[User], bool] | None:
    chosen = [test for test in tests if test is not None]
    if not chosen:
        return None
    return lambda user: all(test(user) for test in chosen)


def filter_values(options: dict[str, Any], field_name: str) -> list[str]:
    """Values of a filterBy array (or single object) for one fieldName."""
    filters = options.get("filterBy") or []
    if isinstance(filters, dict):
        filters = [filters]
    if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
        raise invalid("filterBy must be a list of {fieldName, value}")
    return [str(f.get("value", "")) for f in filters if f.get("fieldName", field_name) == field_name]


def safe_score_details(view: View, data: list[Any], paging: Paging) -> Answer:
    return user_page(view, paging, lambda user: records.safe_score(user, view.style))


def safe_score_summary(view: View, data: list[Any], paging: Paging) -> Answer:
    counts = {
        grade.lower(): view.count(("grade", grade), _grade_is(index))
        for index, grade in enumerate(cat.GRADES)
    }
    return Answer([{"scoreCounts": counts}])


def _grade_is(index: int) -> Callable[[User], bool]:
    return lambda user: user.risk == index


WATCHLIST_FILTERS = (
    "video_count_0",
    "video_count_1",
    "video_count_2",
    "video_count_3",
    "video_count_4_or_more",
    "video_count_1_or_more",
)
PERFORMANCE_FILTERS = (
    "video_count_0",
    "video_count_1",
    "video_count_2",
    "video_count_3",
    "video_count_4_or_more",
    "video_count_all",
)


def watchlist_details(view: View, data: list[Any], paging: Paging) -> Answer:
    """Users by watchlistCount: filterBy (a list, any of) such as video_count_2; without one, the API's
    default video_count_1_or_more, that is the users on the watch list."""
    options = first(data)
    check_attribute_ids(options)
    counts = [video_count(value, WATCHLIST_FILTERS) for value in filter_values(options, "type")]
    search = search_filter(options)

    def keep(user: User) -> bool:
        if counts and not any(test(user.watchlist_count) for test in counts):
            return False
        if not counts and not user.watchlisted:
            return False
        return search is None or search(user)

    key = ("watchlist", tuple(filter_values(options, "type")), repr(options.get("searchBy")))
    return user_page(view, paging, lambda user: records.watchlist(user, view.style), keep, key)


def performance_details(view: View, data: list[Any], paging: Paging) -> Answer:
    """Every user's module counts; filterBy (one object) matches modules watched (correct + incorrect)."""
    options = first(data)
    check_attribute_ids(options)
    if isinstance(options.get("filterBy"), list):
        raise invalid("filterBy of get-performance-details is one object, not a list")
    values = filter_values(options, "type")
    count = video_count(values[0], PERFORMANCE_FILTERS) if values else None
    keep = both(None if count is None else (lambda user: count(user.watched)), search_filter(options))
    details = bool(options.get("includeUserDetails", False))
    key = ("performance", tuple(values), repr(options.get("searchBy")))
    return user_page(view, paging, lambda user: records.performance(user, view.style, details), keep, key)


def watchlist_summary(view: View, data: list[Any], paging: Paging) -> Answer:
    """API 2.0 only documents `data[]`: this simulator's choice is one record per watch-list bucket (the
    filter values of get-watchlist-details) with its number of users."""
    counts = dict.fromkeys(("video_count_0", "video_count_1", "video_count_2", "video_count_3"), 0)
    counts["video_count_4_or_more"] = 0
    for user in view.users():
        if user.watchlisted:
            bucket = min(user.watchlist_count, 4)
            counts["video_count_4_or_more" if bucket == 4 else f"video_count_{bucket}"] += 1
    return Answer([{"type": bucket, "numUsers": users} for bucket, users in counts.items()])


PERFORMANCE_BUCKETS = ("numZeroIncorrect", "numOneIncorrect", "numTwoIncorrect", "numThreeIncorrect")


def performance_summary(view: View, data: list[Any], paging: Paging) -> Answer:
    """data[0].departmentCompletionStats[], one per department with the documented counts; the department's
    own field (`department`) is this simulator's choice, as Mimecast documents only the counts."""
    stats: dict[str, dict[str, Any]] = {}
    for user in view.users():
        row = stats.setdefault(
            user.department,
            {
                "department": user.department,
                **dict.fromkeys(PERFORMANCE_BUCKETS, 0),
                "numFourOrMoreIncorrect": 0,
                "numParticipating": 0,
                "numVideosSent": 0,
                "numVideosNotWatched": 0,
            },
        )
        incorrect = user.count("Incorrect")
        row[PERFORMANCE_BUCKETS[incorrect] if incorrect < 4 else "numFourOrMoreIncorrect"] += 1
        row["numParticipating"] += 1 if user.watched else 0
        row["numVideosSent"] += len(user.modules)
        row["numVideosNotWatched"] += user.count("Not Watched")
    return Answer([{"departmentCompletionStats": [stats[name] for name in sorted(stats)]}])


def training_details(view: View, data: list[Any], paging: Paging) -> Answer:
    """One user's modules. By emailAddress (any case); without one (the documented `[]`) the first user;
    an unknown address is HTTP 200 with fail[] err_user_not_found, a choice of this simulator."""
    address = first(data).get("emailAddress")
    if address:
        user = find(view.population, str(address))
        if user is None:
            return Answer(
                [], fail=[failure({"emailAddress": address}, "err_user_not_found", "User not found")]
            )
    else:
        user = next(view.users(), None)
        if user is None:
            return Answer([])
    return Answer([records.training_details(user, view.style)])


def queue(view: View, data: list[Any], paging: Paging) -> Answer:
    seed, users = view.population.seed, view.population.count
    items = [camp.queue_item(seed, index, users, view.style) for index in range(len(cat.MODULES))]
    page, meta = list_page(items, paging)
    return Answer(page, meta)


def campaigns(view: View, data: list[Any], paging: Paging) -> Answer:
    totals = view.totals("training")
    seed = view.population.seed
    items = [camp.training_campaign(seed, index, totals[index], view.style) for index in range(len(totals))]
    page, meta = list_page(items, paging)
    return Answer([{"campaigns": page}], meta)


def _campaign_index(data: list[Any], ids: list[str], what: str) -> int:
    """No id is HTTP 400; an unknown id HTTP 404 err_campaign_not_found (this simulator's choice)."""
    wanted = first(data).get("id")
    if not wanted:
        raise invalid(f"data[0].id (the {what} id) is required")
    if wanted not in ids:
        raise ApiFailure(404, "err_campaign_not_found", f"No {what} with id {wanted}")
    return ids.index(wanted)


def training_ids(seed: int) -> list[str]:
    return [camp.opaque_id(seed, "campaign", c[0]) for c in cat.TRAINING_CAMPAIGNS]


def phishing_ids(seed: int) -> list[str]:
    return [camp.opaque_id(seed, "phishing", c[0]) for c in cat.PHISHING_CAMPAIGNS]


def campaign_user_data(view: View, data: list[Any], paging: Paging) -> Answer:
    """Results of the users a training campaign was sent to; filterBy status = sent/correct/incorrect."""
    index = _campaign_index(data, training_ids(view.population.seed), "campaign")
    options = first(data)
    check_attribute_ids(options)
    statuses = set(filter_values(options, "status"))
    if not statuses <= {"sent", "correct", "incorrect"}:
        raise invalid("filterBy status must be sent, correct or incorrect")
    search = search_filter(options)

    def keep(user: User) -> bool:
        result = camp.training_result(index, user)
        return (
            result is not None
            and (not statuses or result.status in statuses)
            and (search is None or search(user))
        )

    def render(user: User) -> dict[str, Any]:
        return camp.training_item(user, camp.training_result(index, user), view.style)

    key = ("campaign", index, tuple(sorted(statuses)), repr(options.get("searchBy")))
    answer = user_page(view, paging, render, keep, key)
    return Answer([{"items": answer.data}], answer.pagination)


def phishing_campaigns(view: View, data: list[Any], paging: Paging) -> Answer:
    totals = view.totals("phishing")
    seed = view.population.seed
    items = [camp.phishing_campaign(seed, index, totals[index], view.style) for index in range(len(totals))]
    wanted = first(data).get("id")
    if wanted:
        items = [item for item in items if item["id"] == wanted]
    page, meta = list_page(items, paging)
    return Answer(page, meta)


def phishing_user_data(view: View, data: list[Any], paging: Paging) -> Answer:
    """Results of the users a phishing campaign was sent to; status is the furthest stage reached."""
    index = _campaign_index(data, phishing_ids(view.population.seed), "phishing campaign")
    options = first(data)
    statuses = set(filter_values(options, "status"))
    if not statuses <= set(camp.PHISHING_STAGES):
        raise invalid(f"filterBy status must be one of {', '.join(camp.PHISHING_STAGES)}")

    def keep(user: User) -> bool:
        result = camp.phishing_result(index, user)
        return result is not None and (not statuses or result.status in statuses)

    def render(user: User) -> dict[str, Any]:
        history = [camp.phishing_result(c, user) for c in range(len(cat.PHISHING_CAMPAIGNS))]
        return camp.phishing_item(user, history[index], [r for r in history if r], view.style)

    key = ("phishing", index, tuple(sorted(statuses)))
    answer = user_page(view, paging, render, keep, key)
    return Answer([{"items": answer.data}], answer.pagination)


def find_groups(view: View, data: list[Any], paging: Paging) -> Answer:
    options = first(data)
    query, source = str(options.get("query", "")), str(options.get("source", ""))
    page, meta = list_page(view.directory.find(query, source), paging)
    container: dict[str, Any] = {"source": source or "cloud", "folders": page}
    if query:
        container["query"] = query
    return Answer([container], meta)


def group_members(view: View, data: list[Any], paging: Paging) -> Answer:
    """One page of a group's members, under data[0].groupMembers[] (the shape Mimecast's own integrations
    read); an unknown group id is refused whole with err_folder_not_found (this simulator's choice of
    status, 200 with fail[] as the directory calls answer)."""
    group_id = str(first(data).get("id", ""))
    try:
        members = view.directory.listing(group_id)
    except KeyError as err:
        raise ApiFailure(200, "err_folder_not_found", "Folder not found") from err
    page, meta = list_page(members, paging)
    return Answer([{"groupMembers": page}], meta)


def failure(key: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    return {"key": key, "errors": [{"code": code, "message": message, "retryable": False}]}


# Mimecast's limits on the group calls (items a call, bytes of request body; 0 = none), kept here apart from
# the client's own copy so that a client that ignores them is refused as the real API refuses it. The answer
# to a call over a limit (HTTP 400, err_validation_failed) is this simulator's choice of wording.
MEMBER_LIMITS = {
    "/api/directory/add-group-member": (500, 0),
    "/api/directory/remove-group-member": (10, 2048),
}


def check_body_size(path: str, size: int) -> None:
    """A request body over the endpoint's byte limit is refused whole, nothing applied."""
    limit = MEMBER_LIMITS.get(path, (0, 0))[1]
    if limit and size > limit:
        raise invalid(f"the request body is {size} bytes; this endpoint takes at most {limit}")


def _members(change: Callable[[dict[str, Any]], dict[str, Any]], data: list[Any], path: str) -> Answer:
    if not data:
        raise invalid("data needs at least one {id, emailAddress}")
    most = MEMBER_LIMITS[path][0]
    if len(data) > most:
        raise invalid(f"data holds {len(data)} items; this endpoint takes 1 to {most}")
    answer = Answer([])
    for item in data:
        try:
            answer.data.append(change(item if isinstance(item, dict) else {}))
        except Failure as err:
            answer.fail.append(failure(err.key, err.code, err.message))
    return answer


def add_group_member(view: View, data: list[Any], paging: Paging) -> Answer:
    return _members(view.directory.add, data, "/api/directory/add-group-member")


def remove_group_member(view: View, data: list[Any], paging: Paging) -> Answer:
    return _members(view.directory.remove, data, "/api/directory/remove-group-member")


ROUTES: dict[str, Callable[[View, list[Any], Paging], Answer]] = {
    f"{AWARENESS}/company/get-safe-score-details": safe_score_details,
    f"{AWARENESS}/company/get-safe-score-summary": safe_score_summary,
    f"{AWARENESS}/company/get-watchlist-details": watchlist_details,
    f"{AWARENESS}/company/get-performance-details": performance_details,
    f"{AWARENESS}/company/get-watchlist-summary": watchlist_summary,
    f"{AWARENESS}/company/get-performance-summary": performance_summary,
    f"{AWARENESS}/user/get-training-details": training_details,
    f"{AWARENESS}/queue/get-queue": queue,
    f"{AWARENESS}/campaign/get-campaigns": campaigns,
    f"{AWARENESS}/campaign/get-user-data": campaign_user_data,
    f"{AWARENESS}/phishing/campaign/get-campaign": phishing_campaigns,
    f"{AWARENESS}/phishing/campaign/get-user-data": phishing_user_data,
    "/api/directory/find-groups": find_groups,
    "/api/directory/get-group-members": group_members,
    "/api/directory/add-group-member": add_group_member,
    "/api/directory/remove-group-member": remove_group_member,
}

# Not in API 2.0's catalogue: with a bearer token (an API 2.0 application) these paths do not exist; the
# 404 that answers them is this simulator's choice, as Mimecast does not document it.
API1_ONLY = frozenset({f"{AWARENESS}/campaign/get-campaigns", f"{AWARENESS}/campaign/get-user-data"})

# Where a response's records are when they are not data[] itself.
CONTAINERS = {
    f"{AWARENESS}/company/get-performance-summary": "departmentCompletionStats",
    f"{AWARENESS}/campaign/get-campaigns": "campaigns",
    f"{AWARENESS}/campaign/get-user-data": "items",
    f"{AWARENESS}/phishing/campaign/get-user-data": "items",
    "/api/directory/find-groups": "folders",
    "/api/directory/get-group-members": "groupMembers",
}


def records_in(path: str, data: list[Any]) -> list[Any]:
    """The records of one response of this endpoint."""
    container = CONTAINERS.get(path)
    return data[0][container] if container and data else data
