"""Directory profile groups with real membership, as find-groups / add-group-member / remove-group-member
see them. Adding a member twice or removing a non-member fails the way Mimecast does (HTTP 200, fail[])."""

from __future__ import annotations

import threading
from typing import Any

from devkit.simulator import catalogue as cat
from devkit.simulator.campaigns import opaque_id

ALREADY_MEMBER = ("err_folder_group_member_already_exists", "Group member already exists")
NOT_MEMBER = ("err_folder_email_address_not_found", "Error email address not found")
NO_GROUP = ("err_folder_not_found", "Folder not found")
NO_EMAIL = ("err_validation_missing_email_address", "emailAddress is required")


class Failure(Exception):
    """One data item that could not be applied: becomes an entry of fail[] with its key."""

    def __init__(self, key: dict[str, Any], code: str, message: str) -> None:
        super().__init__(message)
        self.key, self.code, self.message = key, code, message


class Directory:
    def __init__(self, seed: int) -> None:
        root = opaque_id(seed, "folder", "root")
        self._groups = [
            {"id": opaque_id(seed, "folder", name), "description": name, "source": "cloud", "parentId": root}
            for name in cat.GROUPS
        ]
        self._by_id = {group["id"]: group for group in self._groups}
        self._members: dict[str, dict[str, str]] = {group["id"]: {} for group in self._groups}
        self._seed = seed
        self._lock = threading.Lock()

    def find(self, query: str = "", source: str = "") -> list[dict[str, Any]]:
        """Folders whose description contains `query` (any case), with their current member count."""
        with self._lock:
            return [
                {**group, "userCount": len(self._members[group["id"]]), "folderCount": 0}
                for group in self._groups
                if query.lower() in group["description"].lower() and source.lower() in ("", group["source"])
            ]

    def group_id(self, name_or_id: str) -> str:
        for group in self._groups:
            if name_or_id in (group["id"], group["description"]):
                return group["id"]
        raise KeyError(name_or_id)

    def members(self, name_or_id: str) -> set[str]:
        """Lower-cased emails in a group, for tests to assert on."""
        with self._lock:
            return set(self._members[self.group_id(name_or_id)])

    def listing(self, group_id: str) -> list[dict[str, Any]]:
        """The members of one group as get-group-members answers them, in the order they joined."""
        with self._lock:
            if group_id not in self._by_id:
                raise KeyError(group_id)
            return [
                {"emailAddress": address, "name": address.split("@")[0], "domain": address.split("@")[-1]}
                for address in self._members[group_id].values()
            ]

    def _target(self, item: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
        group_id, address = str(item.get("id", "")), str(item.get("emailAddress", ""))
        key = {"id": group_id, "emailAddress": address}
        if group_id not in self._by_id:
            raise Failure(key, *NO_GROUP)
        if "@" not in address:
            raise Failure(key, *NO_EMAIL)
        return group_id, address, key

    def _answer(self, group_id: str, address: str) -> dict[str, Any]:
        return {
            "id": opaque_id(self._seed, "member", group_id, address.lower()),
            "folderId": group_id,
            "emailAddress": address,
            "internal": address.lower().endswith("@" + cat.DOMAIN),
        }

    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group_id, address, key = self._target(item)
            members = self._members[group_id]
            if address.lower() in members:
                raise Failure(key, *ALREADY_MEMBER)
            members[address.lower()] = address
            return self._answer(group_id, address)

    def remove(self, item: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group_id, address, key = self._target(item)
            members = self._members[group_id]
            if address.lower() not in members:
                raise Failure(key, *NOT_MEMBER)
            del members[address.lower()]
            return self._answer(group_id, address)
