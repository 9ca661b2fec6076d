"""Training modules in the queue, training campaigns and phishing simulations, and each user's result.

Whether a user is in a campaign and how they did is hashed from (seed, campaign, user, generation), so a
page of results needs no other user; the campaign's totals are counted once per generation by the caller.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from devkit.simulator import catalogue as cat
from devkit.simulator.dice import Dice, digest
from devkit.simulator.people import User, derive
from devkit.simulator.population import Population
from devkit.simulator.records import Style, date, email, module_id, optional_date

SENT, CORRECT, INCORRECT = "SENT", "CORRECT", "INCORRECT"
PHISHING_STAGES = ("sent", "opened", "clicked", "submitted")


def opaque_id(seed: int, *parts: object) -> str:
    """An id that looks like Mimecast's (`eNo...`): stable for the seed and the parts."""
    return "eNo" + base64.urlsafe_b64encode(digest(seed, *parts)[:45]).decode().rstrip("=")


@dataclass(frozen=True)
class TrainingResult:
    answers: tuple[str, ...]
    acknowledgement: bool

    @property
    def status(self) -> str:
        """sent / correct / incorrect, as get-user-data's filterBy status means it."""
        if SENT in self.answers:
            return "sent"
        return "incorrect" if INCORRECT in self.answers else "correct"


@dataclass(frozen=True)
class PhishingResult:
    template: str
    stage: int
    scheduled: int
    opened: int | None
    clicked: int | None
    submitted: int | None
    reported: int | None

    @property
    def status(self) -> str:
        return PHISHING_STAGES[self.stage]


def training_result(campaign: int, user: User) -> TrainingResult | None:
    """The user's answers in this training campaign, or None if it was not sent to them."""
    _, _, questions, per_mille, _ = cat.TRAINING_CAMPAIGNS[campaign]
    dice = Dice(user.seed, "training", campaign, user.id, user.version)
    if dice.below(1000) >= per_mille:
        return None
    if dice.below(1000) < 150 + 80 * user.risk:
        return TrainingResult((SENT,) * questions, False)
    wrong = 60 + 90 * user.risk
    answers = tuple(INCORRECT if dice.below(1000) < wrong else CORRECT for _ in range(questions))
    return TrainingResult(answers, dice.chance(0.8))


def phishing_result(campaign: int, user: User) -> PhishingResult | None:
    """How the user reacted to this phishing simulation, or None if it was not sent to them."""
    _, templates, _, _, _, per_mille, days_ago = cat.PHISHING_CAMPAIGNS[campaign]
    dice = Dice(user.seed, "phishing", campaign, user.id, user.version)
    if dice.below(1000) >= per_mille:
        return None
    scheduled = cat.ANCHOR - days_ago * cat.DAY + dice.below(cat.DAY)
    stage = 0
    for threshold in (550 + 60 * user.risk, 150 + 120 * user.risk, 300 + 100 * user.risk):
        if dice.below(1000) >= threshold:
            break
        stage += 1
    times = [scheduled + 600 + dice.below(3 * cat.DAY)]
    times += [times[-1] + 5 + dice.below(900) for _ in range(2)]
    reported = None
    if stage < 2 and dice.below(1000) < 400 - 80 * user.risk:
        reported = times[0] + 30 + dice.below(3600)
    opened, clicked, submitted = (time if stage > at else None for at, time in enumerate(times))
    return PhishingResult(dice.pick(templates), stage, scheduled, opened, clicked, submitted, reported)


def title(seed: int, index: int) -> dict[str, Any]:
    name, _, correct = cat.MODULES[index]
    return {"id": module_id(index, seed), "title": name, "correctAnswer": correct, "defaultGifs": True}


def group(seed: int, name: str) -> dict[str, Any]:
    return {"id": opaque_id(seed, "recipients", name), "description": name}


def queue_item(seed: int, index: int, users: int, style: Style) -> dict[str, Any]:
    """A module in the training queue; its counts are estimated from the user count, not summed."""
    dice = Dice(seed, "queue", index)
    sent = users * (4 + dice.below(3)) // 24
    completed = sent * (60 + dice.below(35)) // 100
    correct = completed * (55 + dice.below(40)) // 100
    _, _, answer = cat.MODULES[index]
    others = [option for option in range(1, 5) if option != answer]
    wrong = completed - correct
    spread = {f"option-{option}": wrong // 3 for option in others}
    spread[f"option-{others[0]}"] += wrong % 3
    spread[f"option-{answer}"] = correct
    customized = dice.chance(0.3)
    return {
        "id": opaque_id(seed, "queue", index),
        "title": title(seed, index),
        "launchDate": date(cat.ANCHOR - (300 - 12 * index) * cat.DAY, style, index),
        "numSent": sent,
        "numCompleted": completed,
        "numCorrect": correct,
        "locked": index < 4,
        "assignToNewUsers": dice.chance(0.5),
        "customContentId": None,
        "emailCustomized": customized,
        "emailMsg": {
            "subject": f"New training: {cat.MODULES[index][0]}" if customized else None,
            "body": "Please watch this short video this week." if customized else None,
        },
        "customGifs": [],
        "customAnswer": {"answerNumber": answer, "safetyTip": None, "correctAnswer": None},
        "optionSpread": dict(sorted(spread.items())),
    }


@dataclass(frozen=True)
class Totals:
    """Counts over every user of one campaign, for the campaign's own record."""

    sent: int = 0
    completed: int = 0
    correct_answers: tuple[int, ...] = (0, 0, 0)
    opened: int = 0
    clicked: int = 0
    submitted: int = 0


def training_campaign(seed: int, index: int, totals: Totals, style: Style) -> dict[str, Any]:
    name, module, questions, _, days_ago = cat.TRAINING_CAMPAIGNS[index]
    answered = totals.completed * questions
    return {
        "id": opaque_id(seed, "campaign", name),
        "name": name,
        "title": title(seed, module),
        "group": group(seed, "All Staff"),
        "launchDate": date(cat.ANCHOR - days_ago * cat.DAY, style, index),
        "createDate": date(cat.ANCHOR - (days_ago + 7) * cat.DAY, style, index + 1),
        "numSent": totals.sent,
        "numCompleted": totals.completed,
        "percentComplete": round(100 * totals.completed / totals.sent, 1) if totals.sent else 0,
        "percentCorrect": round(100 * sum(totals.correct_answers) / answered, 1) if answered else 0,
        "numCorrectAnswers": {f"forQuestion{q + 1}": totals.correct_answers[q] for q in range(questions)},
        "locked": days_ago > 200,
        "emailCustomized": False,
        "allOtherCampaigns": {},
    }


def training_item(user: User, result: TrainingResult, style: Style) -> dict[str, Any]:
    return {
        "name": user.name,
        "email": email(user, style),
        "department": user.department,
        "results": {f"forQuestion{q + 1}": answer for q, answer in enumerate(result.answers)},
        "acknowledgement": result.acknowledgement,
        "userState": "ACTIVE",
    }


def phishing_campaign(seed: int, index: int, totals: Totals, style: Style) -> dict[str, Any]:
    name, templates, sender, sender_email, locale, _, days_ago = cat.PHISHING_CAMPAIGNS[index]
    return {
        "id": opaque_id(seed, "phishing", name),
        "name": name,
        "templates": [{"id": opaque_id(seed, "template", t), "name": t} for t in templates],
        "locale": locale,
        "locked": days_ago > 200,
        "sender": {"name": sender, "email": sender_email},
        "group": group(seed, "All Staff"),
        "numSent": totals.sent,
        "launchDate": date(cat.ANCHOR - days_ago * cat.DAY, style, index),
        "numClicked": totals.clicked,
        "numOpened": totals.opened,
        "numSubmitted": totals.submitted,
    }


def clicked_ip(user_id: int) -> str:
    return f"10.{user_id >> 16 & 255}.{user_id >> 8 & 255}.{user_id & 255}"


def phishing_item(
    user: User, result: PhishingResult, history: list[PhishingResult], style: Style
) -> dict[str, Any]:
    """One user's result; `history` is the user's results in every phishing campaign, for the counts."""
    reacted = result.clicked or result.reported
    return {
        "email": email(user, style),
        "name": user.name,
        "department": user.department,
        "templateName": result.template,
        "status": result.status,
        "timeScheduled": date(result.scheduled, style, user.id),
        "timeOpened": optional_date(result.opened, style, user.id),
        "timeClicked": optional_date(result.clicked, style, user.id),
        "timeSubmitted": optional_date(result.submitted, style, user.id),
        "timeReported": optional_date(result.reported, style, user.id),
        "timeScanned": optional_date(result.clicked, style, user.id),
        "clickedIp": clicked_ip(user.id) if result.clicked else None,
        "reactionTime": reacted - result.opened if reacted and result.opened else None,
        "numCampaignsSent": len(history),
        "numCampaignsClicked": sum(1 for past in history if past.clicked),
        "numCampaignsScanned": sum(1 for past in history if past.clicked),
        "numCampaignsClickedScanned": sum(1 for past in history if past.clicked),
        "numCorrectAnswers": user.count("Correct"),
        "numIncorrectAnswers": user.count("Incorrect"),
        "numTrainingModulesAssigned": len(user.modules),
        "userState": "ACTIVE",
    }


def campaign_totals(population: Population, kind: str) -> list[Totals]:
    """Counts for every campaign of a kind ("training" or "phishing"), over every current user."""
    training = kind == "training"
    count = len(cat.TRAINING_CAMPAIGNS if training else cat.PHISHING_CAMPAIGNS)
    sent, completed, opened, clicked, submitted = ([0] * count for _ in range(5))
    correct = [[0, 0, 0] for _ in range(count)]
    for user_id in population.ids():
        user = derive(population, user_id)
        for index in range(count):
            if training:
                answers = training_result(index, user)
                if answers is not None:
                    sent[index] += 1
                    completed[index] += answers.status != "sent"
                    for question, answer in enumerate(answers.answers):
                        correct[index][question] += answer == CORRECT
            else:
                reaction = phishing_result(index, user)
                if reaction is not None:
                    sent[index] += 1
                    opened[index] += reaction.stage >= 1
                    clicked[index] += reaction.stage >= 2
                    submitted[index] += reaction.stage >= 3
    return [
        Totals(sent[i], completed[i], tuple(correct[i]), opened[i], clicked[i], submitted[i])
        for i in range(count)
    ]
