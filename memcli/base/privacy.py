"""Sensitive data: classify text at write time, and redact what policy says to.

Classes: ``credentials`` (passwords, PINs, API keys and tokens),
``government_id`` (social security, passport, national ID numbers),
``financial`` (card numbers that pass the Luhn check, IBANs and account
numbers, income, debts), ``health`` (conditions, medication, treatment) and
``contact`` (e-mail addresses, phone numbers, street addresses).

Patterns and keyword lists, deliberately simple and readable: a false alarm
costs a question or a mask; a miss costs a leak, so numbers are matched
broadly and then checked (Luhn for cards) before they count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from memcli.base.vocab import Policy, Sensitivity

CLASSES = tuple(Sensitivity)
POLICIES = tuple(Policy)
DEFAULT_POLICY: dict[str, str] = {
    Sensitivity.CREDENTIALS: Policy.NEVER,
    Sensitivity.GOVERNMENT_ID: Policy.REDACT,
    Sensitivity.FINANCIAL: Policy.REDACT,
    Sensitivity.HEALTH: Policy.ASK,
    Sensitivity.CONTACT: Policy.STORE,
}
# The policy applied to a text is that of its strictest class.
_STRICTNESS: dict[str, int] = {Policy.NEVER: 3, Policy.ASK: 2, Policy.REDACT: 1, Policy.STORE: 0}

_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
_ACCOUNT = re.compile(r"\b(?:account|acct|routing|sort code|bank)(?: number| no\.?| #)?(?: is|:)?\s*(?P<v>[\d -]{6,20}\d)", re.I)
_MONEY = re.compile(r"(?:[$€£¥₩]\s?\d[\d,.]*(?:\s?(?:k|m|million|thousand))?|\b\d[\d,.]*\s?(?:dollars|euros|pounds|won|yen|usd|eur|gbp|krw)\b)", re.I)
_FIN_WORDS = re.compile(r"\b(?:salary|income|earn|earns|earning|debt|debts|loan|loans|mortgage|owe|owes|bankrupt|"
                        r"credit score|net worth|savings|paycheck|wage|overdraft)\b", re.I)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_RRN = re.compile(r"\b\d{6}-[1-4]\d{6}\b")  # Korean resident registration number
_GOV_WORDS = re.compile(r"\b(?:passport|social security|ssn|national id|national insurance|driver'?s licen[cs]e|"
                        r"licen[cs]e number|tax id|tin|resident registration|id number|id card)\b"
                        r"[^.\n]{0,30}?(?P<v>\b(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,}\b)", re.I)
_SECRET_WORDS = re.compile(r"\b(?:password|passcode|passphrase|pass word|api key|apikey|access token|auth token|"
                           r"token|access key|private key|secret key|client secret|wi-?fi key)\b"
                           r"(?:\s+(?:for|to|of|on)\s+[\w .'-]{1,30}?)?"
                           r"\s*(?:is|=|:|was)\s*['\"]?(?P<v>[^\s'\",]{2,}[^\s'\",.!?;:)])", re.I)
# Short codes count only when the value has digits ("my pin is 4821", not "the pin is lost").
_CODE_WORDS = re.compile(r"\b(?:pin|pin code|2fa code|otp|security code|cvv|cvc)\b\s*(?:is|=|:|was)\s*"
                         r"(?P<v>\d[\d -]{2,10}\d)\b", re.I)
_KEY_SHAPES = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|gho_[A-Za-z0-9]{30,}|"
                         r"xox[abp]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
                         r"\.[A-Za-z0-9_-]{10,})")
_HEALTH = re.compile(r"\b(?:diagnos\w*|diabet\w*|asthma\w*|cancer|tumou?r|chemo\w*|hiv|aids|hepatitis|depress\w*|"
                     r"anxiety|bipolar|schizophren\w*|adhd|autis\w*|epilep\w*|seizures?|migraines?|therap(?:y|ist)|"
                     r"psychiatr\w*|antidepressants?|medication|prescri\w*|insulin|surgery|pregnan\w*|miscarriage|"
                     r"allerg\w*|disease|disorder|syndrome|blood pressure|cholesterol|arthritis|dementia|"
                     r"alzheimer\w*|parkinson\w*|stroke|heart attack|rehab|addiction|std|sti|infection|"
                     r"doctor said|my doctor|hospitali[sz]ed|in hospital|covid)\b", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}[ .-]\d{3,4}[ .-]\d{3,4}(?![\w-])")
_ADDRESS = re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
                      r"Drive|Dr|Court|Ct|Way|Place|Pl)\b\.?")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    nums = [int(d) for d in digits if d.isdigit()]
    if not 13 <= len(nums) <= 19:
        return False
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


@dataclass
class Finding:
    """What was found in a text: its classes and the spans to mask per class."""

    classes: set[str] = field(default_factory=set)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def add(self, cls: str, start: int | None = None, end: int | None = None) -> None:
        self.classes.add(cls)
        if start is not None and end is not None:
            self.spans.setdefault(cls, []).append((start, end))

    @property
    def label(self) -> str | None:
        return ",".join(c for c in CLASSES if c in self.classes) or None


def classify(text: str) -> Finding:
    """The sensitive classes in ``text``, with the character spans of the values."""
    found = Finding()
    for m in _SECRET_WORDS.finditer(text):
        found.add(Sensitivity.CREDENTIALS, m.start("v"), m.end("v"))
    for m in _CODE_WORDS.finditer(text):
        found.add(Sensitivity.CREDENTIALS, m.start("v"), m.end("v"))
    for m in _KEY_SHAPES.finditer(text):
        found.add(Sensitivity.CREDENTIALS, m.start(), m.end())
    for m in _SSN.finditer(text):
        found.add(Sensitivity.GOVERNMENT_ID, m.start(), m.end())
    for m in _RRN.finditer(text):
        found.add(Sensitivity.GOVERNMENT_ID, m.start(), m.end())
    for m in _GOV_WORDS.finditer(text):
        if any(ch.isdigit() for ch in m.group("v")):
            found.add(Sensitivity.GOVERNMENT_ID, m.start("v"), m.end("v"))
    long_numbers = []
    for m in _CARD.finditer(text):
        long_numbers.append((m.start(), m.end()))
        if luhn_ok(m.group()):
            found.add(Sensitivity.FINANCIAL, m.start(), m.end())
    for m in _IBAN.finditer(text):
        found.add(Sensitivity.FINANCIAL, m.start(), m.end())
    for m in _ACCOUNT.finditer(text):
        found.add(Sensitivity.FINANCIAL, m.start("v"), m.end("v"))
    if _FIN_WORDS.search(text):
        for m in _MONEY.finditer(text):
            found.add(Sensitivity.FINANCIAL, m.start(), m.end())
        found.add(Sensitivity.FINANCIAL)
    if _HEALTH.search(text):
        found.add(Sensitivity.HEALTH)
    for m in _EMAIL.finditer(text):
        found.add(Sensitivity.CONTACT, m.start(), m.end())
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        inside_long_number = any(s <= m.start() < e or s < m.end() <= e for s, e in long_numbers)
        if 7 <= len(digits) <= 15 and not inside_long_number:
            found.add(Sensitivity.CONTACT, m.start(), m.end())
    for m in _ADDRESS.finditer(text):
        found.add(Sensitivity.CONTACT, m.start(), m.end())
    return found


def redact(text: str, finding: Finding, classes: set[str] | None = None) -> str:
    """Mask the values of ``classes`` (default: all found) as ``[class]``, keeping
    the rest of the sentence, e.g. "My card is [financial]"."""
    spans = sorted(
        ((start, end, cls) for cls, items in finding.spans.items()
         if classes is None or cls in classes for start, end in items),
        reverse=True,
    )
    out = text
    last_start = len(text) + 1
    for start, end, cls in spans:
        if end > last_start:  # overlapping span already masked
            continue
        out = out[:start] + f"[{cls}]" + out[end:]
        last_start = start
    return out


def decide(finding: Finding, policy: dict[str, str]) -> str:
    """The strictest policy among the classes found (``store`` when none)."""
    chosen: str = Policy.STORE
    for cls in finding.classes:
        p = policy.get(cls, DEFAULT_POLICY.get(cls, Policy.STORE))
        if _STRICTNESS[p] > _STRICTNESS[chosen]:
            chosen = p
    return chosen


def scrub_secrets(text: str) -> str:
    """Text with credential values masked: what may be kept of a line that held a
    secret (the message log, the REPL history)."""
    finding = classify(text)
    return redact(text, finding, {Sensitivity.CREDENTIALS}) if Sensitivity.CREDENTIALS in finding.classes else text


@dataclass
class Screened:
    """The privacy decision for one text: ``action`` is store / redact / ask /
    never; ``text`` is what may be stored (masked where the policy says);
    ``label`` the sensitive classes found; ``reason`` a line for the person."""

    action: str
    text: str
    label: str | None
    reason: str


def screen(text: str, policy: dict[str, str]) -> Screened:
    """Apply ``policy`` (class -> store/redact/ask/never) to text about to be stored."""
    finding = classify(text)
    if not finding.classes:
        return Screened(Policy.STORE, text, None, "")
    action = decide(finding, policy)
    label = finding.label
    if action == Policy.NEVER:
        refused = [c for c in finding.classes if policy.get(c) == Policy.NEVER]
        return Screened(Policy.NEVER, "", label, f"{', '.join(sorted(refused))} are never stored")
    masked = {c for c in finding.classes if policy.get(c) in (Policy.REDACT, Policy.NEVER)}
    cleaned = redact(text, finding, masked) if masked else text
    if action == Policy.ASK:
        asked = [c for c in finding.classes if policy.get(c) == Policy.ASK]
        return Screened(Policy.ASK, cleaned, label, f"looks like {', '.join(sorted(asked))} information: "
                                               "confirm before it is stored")
    return Screened(action, cleaned, label, f"{label} masked" if cleaned != text else "")


def mask_for_log(text: str, policy: dict[str, str]) -> str:
    """The text with the values of classes whose policy is ``never`` or ``redact`` masked."""
    finding = classify(text)
    masked = {c for c in finding.classes if policy.get(c) in (Policy.REDACT, Policy.NEVER)}
    return redact(text, finding, masked) if masked else text
