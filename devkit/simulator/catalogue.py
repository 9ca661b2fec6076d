"""The fixed vocabulary of the simulated tenant: names, departments, training modules, campaigns, groups."""

from __future__ import annotations

import calendar

DOMAIN = "simulated.example"
GRADES = "ABCDF"
# Share of users per SAFE grade, A to F.
GRADE_WEIGHTS = (20, 30, 25, 15, 10)
# Chance (per mille) that a user with grade A..F is on the watch list.
WATCHLIST_PER_MILLE = (20, 80, 200, 400, 600)

# Every date the tenant serves is relative to this fixed instant, never to the wall clock.
ANCHOR = calendar.timegm((2026, 11, 1, 0, 0, 0))
DAY = 86400

FIRST_NAMES = (
    "Amelia",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Farid",
    "Grace",
    "Hugo",
    "Isla",
    "Jamal",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Elif",
    "Finn",
    "Giulia",
    "Hana",
    "Ivan",
    "Jana",
)
LAST_NAMES = (
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ibrahim",
    "Jensen",
    "Khan",
    "Lopez",
    "Murphy",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Varga",
    "Wong",
    "Xu",
    "Young",
    "Zimmer",
    "Moreau",
    "Novak",
    "Larsen",
    "Silva",
    "Kowalski",
    "Brennan",
)
DEPARTMENTS = (
    "Finance",
    "Sales",
    "Marketing",
    "Engineering",
    "Human Resources",
    "Legal",
    "Operations",
    "Customer Support",
    "IT",
    "Executive",
    "Procurement",
    "Research",
)
# A hidden custom attribute per user, matched by searchBy fieldName=customAttribute.
OFFICES = ("London", "New York", "Johannesburg", "Sydney", "Berlin", "Toronto")

# Training modules: (title, category, correct answer number 1..4).
MODULES = (
    ("Gone Phishing", "Phishing", 2),
    ("The Password Is...", "Passwords", 1),
    ("Tailgating", "Physical Security", 3),
    ("Clean Desk", "Data Protection", 4),
    ("Public Wi-Fi", "Mobile Security", 2),
    ("Ransomware Rumble", "Malware", 1),
    ("CEO Fraud", "Social Engineering", 3),
    ("USB Drop", "Malware", 2),
    ("Vishing Calls", "Social Engineering", 4),
    ("Smishing", "Mobile Security", 1),
    ("Data Privacy Basics", "Compliance", 3),
    ("Safe Browsing", "Web Security", 2),
    ("Multi-Factor Matters", "Passwords", 4),
    ("Invoice Scams", "Phishing", 1),
    ("Oversharing Online", "Social Media", 3),
    ("Lost Laptop", "Data Protection", 2),
    ("Insider Threat", "Compliance", 4),
    ("Shadow IT", "Web Security", 1),
    ("QR Code Traps", "Phishing", 3),
    ("Deepfake Voices", "Social Engineering", 2),
    ("Cloud Sharing Links", "Data Protection", 4),
    ("Travel Security", "Physical Security", 1),
    ("Reporting Suspicious Email", "Phishing", 2),
    ("AI Assistant Leaks", "Data Protection", 3),
)

# Training campaigns: (name, module index, questions, per mille of users included, days before ANCHOR).
TRAINING_CAMPAIGNS = (
    ("Q1 Phishing Refresher", 0, 3, 900, 280),
    ("Password Month", 1, 2, 700, 220),
    ("Finance Fraud Drill", 13, 3, 400, 160),
    ("New Starter Essentials", 10, 1, 250, 120),
    ("Social Engineering Week", 6, 2, 600, 60),
    ("Holiday Scam Alert", 18, 1, 800, 10),
)

# Phishing simulations: (name, template names, sender name, sender email, locale, per mille, days ago).
PHISHING_CAMPAIGNS = (
    (
        "Parcel Delivery Failed",
        ("Courier Missed Delivery",),
        "Parcel Desk",
        "tracking@parcel-desk.example",
        "en_GB",
        850,
        250,
    ),
    (
        "Payroll Update",
        ("Salary Review", "Payslip Ready"),
        "HR Payroll",
        "payroll@hr-portal.example",
        "en_US",
        600,
        150,
    ),
    (
        "Shared Document",
        ("Cloud Drive Share",),
        "Document Share",
        "no-reply@docshare.example",
        "en_US",
        700,
        75,
    ),
    (
        "Password Expiry",
        ("Mailbox Quota", "Password Expires Today"),
        "IT Service Desk",
        "it-support@helpdesk-mail.example",
        "de_DE",
        500,
        20,
    ),
)

# Directory groups (profile groups) that alert actions can add users to or remove them from.
GROUPS = (
    "Awareness Training Watch List",
    "High Risk Users",
    "SOC Escalation",
    "Blocked Senders",
    "Permitted Senders",
    "Finance Approvers",
)
