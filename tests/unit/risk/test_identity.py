"""`RiskTable.resolve` (`identity.named`): the one rule, shared by `mimecastrisk` and the alert actions, that
says which table user a value from a log names, and how; outsiders' addresses and look-alike characters name
nobody."""

from __future__ import annotations

import pytest

from splunk_app.risk.identity import (
    MAX_IDENTITY,
    Match,
    aliases_from_rows,
    fold,
    read_aliases,
    split_identities,
)
from splunk_app.risk.table import table_from_rows

USERS = [
    {"email": "Jane.Doe@Example.com", "safe_grade": "F"},
    {"email": "carol@example.com", "safe_grade": "C"},
    {"email": "bob@example.com", "safe_grade": "A"},
    {"email": "bob@example.co.uk", "safe_grade": "B"},  # a second mail domain, the same local part
    {"email": "system@example.com", "safe_grade": "D"},  # a real mailbox that logs' SYSTEM must not hit
]
ALIASES = [
    {"alias": "CORP\\jdoe", "email": "jane.doe@example.com"},
    {"alias": "UKCORP", "email": "@example.co.uk"},  # a NetBIOS domain for a mail domain
    {"alias": "@uk.corp.local", "email": "@example.co.uk"},  # a UPN suffix for a mail domain
    {"alias": "contractor7", "email": "carol@example.com"},
    {"alias": "shared", "email": "carol@example.com"},
    {"alias": "shared", "email": "jane.doe@example.com"},  # one name, two users: never a guess
    {"alias": "outsider", "email": "someone@elsewhere.org"},  # names no table user
]


@pytest.fixture
def table():
    warnings: list[str] = []
    return table_from_rows(USERS, aliases=aliases_from_rows(ALIASES, warnings.append))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jane.doe@example.com", Match("jane.doe@example.com", "email")),
        ("  JANE.DOE@EXAMPLE.COM ", Match("jane.doe@example.com", "email")),
        ('"Doe, Jane" <Jane.Doe@Example.com>', Match("jane.doe@example.com", "email")),
        ("mailto:carol@example.com", Match("carol@example.com", "email")),
        ("corp\\JDOE", Match("jane.doe@example.com", "alias")),
        ("CONTRACTOR7", Match("carol@example.com", "alias")),
        ("OTHERDOM\\contractor7", Match("carol@example.com", "alias")),  # a bare alias in any domain
        ("UKCORP\\bob", Match("bob@example.co.uk", "alias")),
        ("bob@uk.corp.local", Match("bob@example.co.uk", "alias")),
        ("CORP\\carol", Match("carol@example.com", "local_part")),
        ("carol", Match("carol@example.com", "local_part")),
        ("bob", Match(None, "ambiguous")),
        ("CORP\\bob", Match(None, "ambiguous")),
        ("shared", Match(None, "ambiguous")),
        ("outsider", Match(None, "none")),  # an alias never reaches outside the table
        ("nobody@example.com", Match(None, "none")),  # the tenant's own domain, not in the table
        ("stranger@example.org", Match(None, "none")),
        ("UKCORP\\carol", Match(None, "none")),  # the domain alias is authoritative
        ("jdoe", Match(None, "none")),
        # Outsiders: an address under a domain that is not the company's names nobody, whatever its local
        # part, a bare alias included; the company's own domains are the table's and the alias table's.
        ("carol@attacker.example", Match(None, "none")),
        ("Carol@corp.example.local", Match(None, "none")),
        ("bob@corp.local", Match(None, "none")),
        ("contractor7@attacker.example", Match(None, "none")),
        ("CORP\\carol@attacker.example", Match(None, "none")),
        ('"Carol" <carol@attacker.example>', Match(None, "none")),
        ("contractor7@uk.corp.local", Match("carol@example.com", "alias")),  # a mapped domain is ours
        # Unicode: compared NFKC-casefolded; a character that folds into ASCII names nobody.
        ("ＣＡＲＯＬ@example.com", Match(None, "none")),  # full-width letters
        ("carol@ｅｘａｍｐｌｅ.com", Match(None, "none")),
        ("CORP\\ｃａｒｏｌ", Match(None, "none")),
    ],
)
def test_each_form_resolves_to_one_user_or_says_why_not(table, value, expected):
    assert table.resolve(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "-",
        "N/A",
        "SYSTEM",
        "NT AUTHORITY\\SYSTEM",
        "nt authority\\Local Service",
        "WS-042$",
        "CORP\\WS-042$",
        "CORP\\",
        "@example.com",
        "carol@",
        "x" * (MAX_IDENTITY + 1),
        "a@b" * 4_000_000,
    ],
)
def test_a_value_that_names_no_person_is_none(table, value):
    assert table.resolve(value) == Match(None, "none")


def test_default_domain_overrides_the_local_part_rule():
    table = table_from_rows(USERS, default_domain="example.co.uk")
    assert table.resolve("CORP\\bob") == Match("bob@example.co.uk", "local_part")
    assert table.resolve("bob@example.com") == Match("bob@example.com", "email")
    assert table.resolve("bob@attacker.example") == Match(None, "none")  # not even with a default domain
    assert table_from_rows(USERS).resolve("CORP\\bob") == Match(None, "ambiguous")


def test_the_ceo_address_of_an_attacker_names_nobody():
    table = table_from_rows([{"email": "ceo@example.com", "safe_grade": "A"}])
    assert table.resolve("ceo") == Match("ceo@example.com", "local_part")  # the company's own systems
    assert table.resolve("CORP\\ceo") == Match("ceo@example.com", "local_part")
    assert table.resolve("ceo@attacker.example") == Match(None, "none")
    assert table.resolve("CEO@Example.COM") == Match("ceo@example.com", "email")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Jane.Doe@Example.COM", "jane.doe@example.com"),
        ("ÜNAL@example.com", "ünal@example.com"),  # non-ASCII that stays non-ASCII folds as usual
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),
        ("e\u0301", "\u00e9"),  # NFKC composes
        ("\u212a", None),  # Kelvin sign -> k
        ("ｊａｎｅ", None),  # full-width -> jane
        ("straße", None),  # ß -> ss
        ("\ufb01le", None),  # the fi ligature -> fi
        ("\u0130", None),  # İ -> i + combining dot
    ],
)
def test_fold_is_nfkc_casefold_and_refuses_what_becomes_ascii(text, folded):
    assert fold(text) == folded


def test_the_kelvin_sign_is_not_a_k():
    table = table_from_rows([{"email": "kevin@example.com"}])
    assert table.resolve("KEVIN@Example.com") == Match("kevin@example.com", "email")
    assert table.resolve("\u212aEVIN@example.com") == Match(None, "none")
    assert table.resolve("CORP\\\u212aevin") == Match(None, "none")
    assert table.resolve("\u212aevin") == Match(None, "none")


def test_a_table_user_with_non_ascii_letters_is_found_in_any_case():
    table = table_from_rows([{"email": "Ünal@Example.com", "safe_grade": "C"}])
    assert table.resolve("ünal@example.com") == Match("ünal@example.com", "email")
    assert table.resolve("ÜNAL@EXAMPLE.COM") == Match("ünal@example.com", "email")
    assert table.resolve("CORP\\Ünal") == Match("ünal@example.com", "local_part")


@pytest.mark.parametrize(
    ("value", "users"),
    [
        ("a@x.com", ["a@x.com"]),
        ("a@x.com, b@x.com;c@x.com", ["a@x.com", "b@x.com", "c@x.com"]),
        ("jdoe; CORP\\carol", ["jdoe", "CORP\\carol"]),
        ('"Smith" <A@x.com>; b@x.com', ["A@x.com", "b@x.com"]),
        ('"Doe, Jane" <jane@x.com>, "Roe; Rick" <rick@x.com>', ["jane@x.com", "rick@x.com"]),
        ("Doe, Jane <jane@x.com>", ["jane@x.com"]),  # an unquoted display name's piece is no user
        ("Doe, Jane <jane@x.com>; Roe, Rick <rick@x.com>", ["jane@x.com", "rick@x.com"]),
        ("<a,b@x.com>, c@x.com", ["a,b@x.com", "c@x.com"]),
        ('"unterminated, jane@x.com', ['"unterminated, jane@x.com']),
        (" , ;", []),
    ],
)
def test_lists_split_only_outside_quotes_and_angle_brackets(value, users):
    assert split_identities(value) == users


def test_an_unquoted_display_name_does_not_become_a_user():
    table = table_from_rows([{"email": "doe@example.com", "safe_grade": "F"}, {"email": "jane@example.com"}])
    found, how = table.describe(split_identities("Doe, Jane <jane@example.com>"))
    assert (found[-2], how) == ("jane@example.com", "email")  # not doe@example.com, grade F


def test_many_mail_domains_use_an_index_with_the_same_answers():
    users = [{"email": f"user{number}@d{number}.example"} for number in range(20)]
    users += [{"email": "twin@d1.example"}, {"email": "twin@d2.example"}]
    table = table_from_rows(users)
    assert table.resolve("CORP\\user7") == Match("user7@d7.example", "local_part")
    assert table.resolve("twin") == Match(None, "ambiguous")
    assert table.resolve("nobody") == Match(None, "none")


def test_the_riskiest_user_found_describes_a_list_and_strangers_lend_nothing(table):
    found, how = table.describe(["carol", "stranger@example.org", "CORP\\jdoe", "bob"])
    assert found[0] == "F" and how == "alias"
    assert found[-2:] == (["carol@example.com", "jane.doe@example.com"], ["C", "F"])
    nobody, how = table.describe(["stranger@example.org", "bob"])
    assert (nobody[0], nobody[-2:], how) == ("unknown", ("", ""), "ambiguous")
    assert table.describe(["stranger@example.org"])[1] == "none"


def test_each_bad_alias_row_is_named_once_and_the_rest_are_used(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text(
        "alias,email\nCORP\\jdoe,jane.doe@example.com\n,carol@example.com\nx,not-an-address\n"
        "CORP\\,@example.com\nSYSTEM,carol@example.com\ncontractor7,carol@example.com\n",
        encoding="utf-8",
    )
    warnings: list[str] = []
    aliases = read_aliases(path, warnings.append)
    assert [warning.split(":")[0] for warning in warnings] == [
        "mimecast_identity_aliases.csv row 3",
        "mimecast_identity_aliases.csv row 4",
        "mimecast_identity_aliases.csv row 6",
    ]
    assert all(str(tmp_path) not in warning for warning in warnings)
    assert dict(aliases.users) == {"corp\\jdoe": "jane.doe@example.com", "contractor7": "carol@example.com"}
    assert dict(aliases.domains) == {"corp": "example.com"}


def test_an_alias_row_with_look_alike_characters_is_named_and_ignored():
    warnings: list[str] = []
    aliases = aliases_from_rows([{"alias": "\u212aarol", "email": "carol@example.com"}], warnings.append)
    assert len(aliases) == 0
    assert len(warnings) == 1 and "folds into ASCII" in warnings[0]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"name,mail\nx,y@z.com\n", "has no alias or email column"),
        (b"alias,email\n\xff,x@y.com\n", "cannot be read"),
    ],
)
def test_an_unusable_alias_file_is_one_warning_and_no_aliases(tmp_path, text, says):
    path = tmp_path / "aliases.csv"
    path.write_bytes(text)
    warnings: list[str] = []
    assert len(read_aliases(path, warnings.append)) == 0
    assert len(warnings) == 1 and says in warnings[0]


def test_no_alias_file_is_no_aliases_and_no_warning(tmp_path):
    warnings: list[str] = []
    assert len(read_aliases(tmp_path / "absent.csv", warnings.append)) == 0
    assert warnings == []


def test_many_bad_rows_are_counted_after_the_first_ten():
    warnings: list[str] = []
    aliases_from_rows(({"alias": "", "email": ""} for _ in range(25)), warnings.append)
    assert len(warnings) == 11 and warnings[-1].endswith("15 more bad rows ignored")
