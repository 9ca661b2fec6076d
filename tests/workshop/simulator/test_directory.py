"""Group membership is real state: add, add again, remove, remove again, as Mimecast answers each."""

from __future__ import annotations

from .simclient import ADD_MEMBER, FIND_GROUPS, REMOVE_MEMBER


def group_of(api, name):
    [folder] = api.post(FIND_GROUPS, [{"query": name}])["data"][0]["folders"]
    return folder


def test_add_then_add_again_fails_with_already_exists(tenant, api):
    group = group_of(api, "Awareness Training Watch List")
    item = {"id": group["id"], "emailAddress": "Grace.Wong.3@simulated.example"}
    first = api.post(ADD_MEMBER, [item])
    assert first["fail"] == [] and first["data"][0]["folderId"] == group["id"]
    assert tenant.group_members(group["id"]) == {"grace.wong.3@simulated.example"}
    again = api.raw(ADD_MEMBER, [{**item, "emailAddress": item["emailAddress"].lower()}])
    assert again.status_code == 200
    body = again.json()
    assert body["data"] == []
    assert body["fail"] == [
        {
            "key": {"id": group["id"], "emailAddress": "grace.wong.3@simulated.example"},
            "errors": [
                {
                    "code": "err_folder_group_member_already_exists",
                    "message": "Group member already exists",
                    "retryable": False,
                }
            ],
        }
    ]
    assert group_of(api, "Awareness Training Watch List")["userCount"] == 1


def test_remove_then_remove_again_fails_with_not_found(tenant, api):
    group = group_of(api, "High Risk Users")
    item = {"id": group["id"], "emailAddress": "x.y.9@simulated.example"}
    api.post(ADD_MEMBER, [item])
    removed = api.post(REMOVE_MEMBER, [{**item, "emailAddress": "X.Y.9@SIMULATED.EXAMPLE"}])
    assert removed["fail"] == [] and removed["data"][0]["folderId"] == group["id"]
    assert tenant.group_members("High Risk Users") == set()
    again = api.post(REMOVE_MEMBER, [item])
    assert again["data"] == []
    assert again["fail"][0]["errors"][0]["code"] == "err_folder_email_address_not_found"
    assert again["fail"][0]["key"] == item


def test_several_items_in_one_call_each_answered(tenant, api):
    group = group_of(api, "SOC Escalation")
    items = [{"id": group["id"], "emailAddress": f"user.{n}@simulated.example"} for n in range(3)]
    api.post(ADD_MEMBER, [items[0]])
    body = api.post(ADD_MEMBER, [*items, {"id": "eNoNoSuchGroup", "emailAddress": "a.b.1@simulated.example"}])
    added = [d["emailAddress"] for d in body["data"]]
    assert added == ["user.1@simulated.example", "user.2@simulated.example"]
    codes = [f["errors"][0]["code"] for f in body["fail"]]
    assert codes == ["err_folder_group_member_already_exists", "err_folder_not_found"]
    assert len(tenant.group_members(group["id"])) == 3


def test_external_address_is_not_internal(api):
    group = group_of(api, "Blocked Senders")
    body = api.post(ADD_MEMBER, [{"id": group["id"], "emailAddress": "spam@elsewhere.example"}])
    assert body["data"][0]["internal"] is False


def test_membership_is_per_tenant(tenant, api):
    group = group_of(api, "Finance Approvers")
    assert group["userCount"] == 0
    assert api.raw(ADD_MEMBER, []).status_code == 400
    missing = api.post(ADD_MEMBER, [{"id": group["id"]}])
    assert missing["fail"][0]["errors"][0]["code"] == "err_validation_missing_email_address"


def test_find_groups_pages_and_source(api):
    first = api.post(FIND_GROUPS, page_size=4)
    assert len(first["data"][0]["folders"]) == 4 and first["meta"]["pagination"]["totalCount"] == 6
    rest = api.post(FIND_GROUPS, page_size=4, token=first["meta"]["pagination"]["next"])
    assert len(rest["data"][0]["folders"]) == 2 and "next" not in rest["meta"]["pagination"]
    assert api.post(FIND_GROUPS, [{"source": "ldap"}])["data"][0]["folders"] == []
