#!/usr/bin/env python3
"""Generates the labeled redaction corpus `corpus.jsonl` deterministically.

Run from anywhere: `python3 testdata/redact/generate.py` (standard library only). Each line is
one case: {"id", "channel": "chat"|"transcript"|"email", "text"} or {"id", "channel", "turns":
[{"speaker", "text"}]}, with "spans": [{"turn"?, "start", "end", "type", "form"?}] (offsets in
Unicode code points of the text or turn) and "tags" (e.g. "hard_negative"). Values are synthetic:
card numbers are generated with valid issuer prefixes and Luhn digits, SSNs with valid ranges,
IBANs with real mod-97 check digits; names come from the crate's name lists plus unlisted ones.
"""
import json
import os
import random
import string

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "crates", "custos-redact", "data")
R = random.Random(20261122)

def load(name):
    with open(os.path.join(DATA, name)) as f:
        return [l.strip() for l in f if l.strip()]

COMMON = set(load("common_words.txt"))
FIRST = [n for n in load("first_names.txt") if n not in COMMON]
LAST = [n for n in load("last_names.txt") if n not in COMMON]
# Names outside the lists: only strong cues ("my name is") can find these.
RARE_FIRST = ["xochitl", "oluwaseun", "thandiwe", "anahera", "bartholomew", "ignatius", "keanu", "zbigniew", "siobhan", "niamh", "eilidh", "tadeusz", "chidi", "ngozi"]
RARE_LAST = ["kowalczyk", "okonkwo", "vanderberg", "abernathy", "szymanski", "papadopoulos", "nakamura", "oyelaran", "fitzgerald", "castellanos", "lindqvist", "achterberg"]
COMPANIES = ["acme", "northwind", "contoso", "globex", "initech", "umbrella", "stark", "wayne", "hooli", "vandelay"]
STREETS = ["main", "oak", "maple", "cedar", "pine", "elm", "washington", "lake", "hill", "sunset", "park", "ridge", "church", "highland", "jefferson", "lincoln", "river", "meadow", "willow", "spring"]
SUFFIXES = ["street", "avenue", "road", "drive", "lane", "boulevard", "court", "way", "place", "st", "ave", "rd", "dr", "blvd", "ln"]
CITIES = [("springfield", "il", "62704"), ("austin", "tx", "78701"), ("denver", "co", "80202"), ("portland", "or", "97205"), ("columbus", "oh", "43215"), ("tampa", "fl", "33602"), ("madison", "wi", "53703"), ("reno", "nv", "89501")]
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = {10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen"}
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"]
TLDS = ["com", "net", "org", "io", "co"]
DOMAINS = ["gmail", "yahoo", "outlook", "hotmail", "icloud", "aol", "protonmail", "comcast"]


# ---------------------------------------------------------------- values

def luhn_complete(prefix, length):
    digits = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        n = digits + check
        s = 0
        for i, d in enumerate(reversed(n)):
            v = int(d)
            if i % 2 == 1:
                v *= 2
                if v > 9:
                    v -= 9
            s += v
        if s % 10 == 0:
            return n
    raise AssertionError

def card_number():
    kind = R.choice(["visa", "visa", "visa", "mc", "mc2", "amex", "discover", "jcb", "diners", "unionpay"])
    if kind == "visa":
        return luhn_complete("4", R.choice([16, 16, 16, 13, 19]))
    if kind == "mc":
        return luhn_complete(str(R.randint(51, 55)), 16)
    if kind == "mc2":
        return luhn_complete(str(R.randint(2221, 2720)), 16)
    if kind == "amex":
        return luhn_complete(R.choice(["34", "37"]), 15)
    if kind == "discover":
        return luhn_complete(R.choice(["6011", "65", "644"]), 16)
    if kind == "jcb":
        return luhn_complete(str(R.randint(3528, 3589)), 16)
    if kind == "diners":
        return luhn_complete(R.choice(["36", "300", "38"]), 14)
    return luhn_complete("62", R.choice([16, 17, 18, 19]))

def bad_luhn(num):
    last = int(num[-1])
    return num[:-1] + str((last + R.randint(1, 9)) % 10)

def group_card(num, sep=None):
    if sep is None:
        sep = R.choice(["", " ", " ", "-", " "])
    if len(num) == 15:
        parts = [num[:4], num[4:10], num[10:]]
    elif len(num) == 14:
        parts = [num[:4], num[4:10], num[10:]]
    else:
        parts = [num[i:i + 4] for i in range(0, len(num), 4)]
    return sep.join(parts)

def ssn():
    while True:
        area = R.randint(1, 899)
        if area != 666:
            break
    return "%03d%02d%04d" % (area, R.randint(1, 99), R.randint(1, 9999))

def invalid_ssn():
    return R.choice(["000%02d%04d" % (R.randint(1, 99), R.randint(1, 9999)), "666%02d%04d" % (R.randint(1, 99), R.randint(1, 9999)), "9%02d%02d%04d" % (R.randint(0, 99), R.randint(1, 99), R.randint(1, 9999)), "%03d00%04d" % (R.randint(1, 665), R.randint(1, 9999))])

def phone10():
    while True:
        area = "%d%02d" % (R.randint(2, 9), R.randint(0, 99))
        if area[1:] != "11":
            return area + "%d%02d%04d" % (R.randint(2, 9), R.randint(0, 99), R.randint(0, 9999))

def fmt_phone(p):
    return R.choice(["(%s) %s-%s", "%s-%s-%s", "%s.%s.%s", "%s %s %s", "+1 %s %s %s", "1-%s-%s-%s", "%s%s%s"]) % (p[:3], p[3:6], p[6:])

def intl_phone():
    return R.choice(["+44 20 %04d %04d" % (R.randint(1000, 9999), R.randint(0, 9999)), "+49 30 %08d" % R.randint(0, 99999999), "+33 1 %02d %02d %02d %02d" % tuple(R.randint(0, 99) for _ in range(4)), "+91 %05d %05d" % (R.randint(70000, 99999), R.randint(0, 99999)), "+61 4%02d %03d %03d" % (R.randint(0, 99), R.randint(0, 999), R.randint(0, 999))])

def aba():
    while True:
        d = [R.choice([0, 1, 2, 3]), R.randint(0, 9)] + [R.randint(0, 9) for _ in range(6)]
        p = d[0] * 10 + d[1]
        if not (0 <= p <= 12 or 21 <= p <= 32):
            continue
        for c in range(10):
            n = d + [c]
            s = 3 * (n[0] + n[3] + n[6]) + 7 * (n[1] + n[4] + n[7]) + (n[2] + n[5] + n[8])
            if s % 10 == 0:
                return "".join(map(str, n))

def iban():
    country, length, bban = R.choice([
        ("GB", 22, lambda: "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + "%014d" % R.randint(0, 10**14 - 1)),
        ("DE", 22, lambda: "%018d" % R.randint(0, 10**18 - 1)),
        ("FR", 27, lambda: "%023d" % R.randint(0, 10**23 - 1)),
        ("NL", 18, lambda: "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + "%010d" % R.randint(0, 10**10 - 1)),
        ("ES", 24, lambda: "%020d" % R.randint(0, 10**20 - 1)),
    ])
    b = bban()
    rearranged = b + country + "00"
    num = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - num % 97
    value = "%s%02d%s" % (country, check, b)
    assert len(value) == length
    if R.random() < 0.6:
        value = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return value

def ipv4():
    return R.choice(["192.168.%d.%d", "10.%d.%d.7", "172.16.%d.%d", "%d.%d.113.45"]) % (R.randint(0, 255), R.randint(1, 254))

def ipv6():
    return "2001:db8:%x:%x::%x" % (R.randint(0, 65535), R.randint(0, 65535), R.randint(1, 65535))


# ---------------------------------------------------------------- spoken forms

def speak_digits(digits, style=None):
    """Digits as a transcript would have them."""
    style = style or R.choice(["plain", "plain", "oh", "double", "pairs", "fillers", "mixed", "groups"])
    out = []
    i = 0
    while i < len(digits):
        d = digits[i]
        if style in ("double", "oh", "fillers") and i + 2 < len(digits) and digits[i] == digits[i + 1] == digits[i + 2] and R.random() < 0.6:
            out.append("triple " + word_for(d, style))
            i += 3
            continue
        if style in ("double", "oh", "fillers") and i + 1 < len(digits) and digits[i] == digits[i + 1] and R.random() < 0.7:
            out.append("double " + word_for(d, style))
            i += 2
            continue
        if style == "pairs" and i + 1 < len(digits) and digits[i] != "0" and R.random() < 0.6:
            n = int(digits[i:i + 2])
            if 10 <= n <= 19:
                out.append(TEENS[n])
            elif digits[i + 1] == "0":
                out.append(TENS[n // 10])
            else:
                out.append(TENS[n // 10] + " " + DIGIT_WORDS[n % 10])
            i += 2
            continue
        if style == "mixed" and R.random() < 0.3:
            out.append(d)
        else:
            out.append(word_for(d, style))
        if style == "fillers" and R.random() < 0.12:
            out.append(R.choice(["uh", "um", "uh", "er"]))
        if style == "groups" and (i + 1) % 4 == 0 and i + 1 < len(digits) and R.random() < 0.5:
            out.append(R.choice(["uh", "um", "and"]))
        i += 1
    while out and out[-1] in ("uh", "um", "er", "and"):
        out.pop()
    return " ".join(out)

def word_for(d, style):
    if d == "0" and style in ("oh", "double", "fillers") and R.random() < 0.7:
        return "oh"
    return DIGIT_WORDS[int(d)]

def spoken_year(y):
    if y >= 2000 and R.random() < 0.5:
        rest = y - 2000
        if rest == 0:
            return "two thousand"
        return "two thousand " + (DIGIT_WORDS[rest] if rest < 10 else TEENS.get(rest) or (TENS[rest // 10] + ("" if rest % 10 == 0 else " " + DIGIT_WORDS[rest % 10])))
    hi, lo = divmod(y, 100)
    hi_w = TEENS.get(hi) or TENS[hi // 10] + ("" if hi % 10 == 0 else " " + DIGIT_WORDS[hi % 10])
    if lo < 10:
        lo_w = "oh " + DIGIT_WORDS[lo]
    elif lo < 20:
        lo_w = TEENS[lo]
    else:
        lo_w = TENS[lo // 10] + ("" if lo % 10 == 0 else " " + DIGIT_WORDS[lo % 10])
    return hi_w + " " + lo_w

def spoken_day(d):
    if d <= 20:
        return ORDINALS[d - 1]
    if d == 30:
        return "thirtieth"
    tens, unit = divmod(d, 10)
    return TENS[tens] + (" " + ORDINALS[unit - 1] if unit else "ieth")


# ---------------------------------------------------------------- documents

class Doc:
    """Builds one text while recording labeled spans in code points."""

    def __init__(self):
        self.parts = []
        self.spans = []
        self.length = 0

    def add(self, text):
        self.parts.append(text)
        self.length += len(text)
        return self

    def ent(self, typ, value, form=None):
        span = {"start": self.length, "end": self.length + len(value), "type": typ}
        if form:
            span["form"] = form
        self.spans.append(span)
        return self.add(value)

    def text(self):
        return "".join(self.parts)


class Conv:
    def __init__(self):
        self.turns = []

    def turn(self, speaker):
        d = Doc()
        self.turns.append((speaker, d))
        return d


def name_value(lower):
    first = R.choice(FIRST + RARE_FIRST[:3]) if R.random() < 0.9 else R.choice(RARE_FIRST)
    last = R.choice(LAST) if R.random() < 0.8 else R.choice(RARE_LAST)
    full = R.random() < 0.6
    v = first + (" " + last if full else "")
    return v if lower else v.title()


# Chat templates: (text before, entity type, value maker, text after). "{}" marks the value.
def chat_case():
    d = Doc()
    kind = R.choice(["card", "card", "card", "card_fail", "cvv_exp", "ssn", "phone", "phone", "email", "email", "iban", "bank", "dob", "ip", "address", "address", "person", "person", "mixed"])
    greet = R.choice(["", "hi, ", "Hello! ", "hey there. ", "Good morning, ", "ok so "])
    d.add(greet)
    if kind == "card":
        num = card_number()
        d.add(R.choice(["my card number is ", "Card: ", "here's the card ", "please charge ", "you can use my visa ", "the number on my card is ", "I'd like to pay with ", "new card is ", "cc# "]))
        d.ent("CREDIT_CARD", group_card(num), "written")
        d.add(R.choice(["", ".", " thanks", " - let me know if it goes through", "!"]))
    elif kind == "card_fail":
        num = bad_luhn(card_number())
        d.add(R.choice(["my card number is ", "Card number: ", "please charge my credit card ", "the long number on the card is "]))
        d.ent("CREDIT_CARD", group_card(num), "written")
        d.add(R.choice([".", " (I think)", ""]))
    elif kind == "cvv_exp":
        num = card_number()
        d.add("card ")
        d.ent("CREDIT_CARD", group_card(num), "written")
        d.add(R.choice([", exp ", " expires ", ", expiration date ", " valid thru "]))
        m, y = R.randint(1, 12), R.randint(25, 31)
        d.ent("CARD_EXPIRY", R.choice(["%02d/%02d" % (m, y), "%02d/20%02d" % (m, y), "%d/%02d" % (m, y)]))
        d.add(R.choice([" and the cvv is ", ", CVV ", ", security code ", " cvc: "]))
        d.ent("CARD_CVV", "%03d" % R.randint(0, 999) if num[:2] not in ("34", "37") else "%04d" % R.randint(0, 9999))
    elif kind == "ssn":
        v = ssn()
        form = R.choice(["dash", "dash", "space", "plain"])
        val = {"dash": "%s-%s-%s", "space": "%s %s %s", "plain": "%s%s%s"}[form] % (v[:3], v[3:5], v[5:])
        d.add(R.choice(["my ssn is ", "SSN: ", "social security number ", "my social is ", "Here's my social security # "]))
        d.ent("US_SSN", val)
    elif kind == "phone":
        d.add(R.choice(["call me at ", "my phone number is ", "you can reach me on ", "cell: ", "best number is ", "text me at ", "my number changed to "]))
        d.ent("PHONE_NUMBER", fmt_phone(phone10()) if R.random() < 0.8 else intl_phone())
        d.add(R.choice(["", " after 5pm", ".", " thanks"]))
    elif kind == "email":
        first, last = R.choice(FIRST), R.choice(LAST)
        local = R.choice([first, first + "." + last, first[0] + last, first + "_" + last + str(R.randint(1, 99)), last + str(R.randint(1960, 2005))])
        d.add(R.choice(["my email is ", "email: ", "send it to ", "you can reach me at ", "please update my email to "]))
        d.ent("EMAIL_ADDRESS", local + "@" + R.choice(DOMAINS) + "." + R.choice(TLDS))
        d.add(R.choice(["", ".", " please", " thx"]))
    elif kind == "iban":
        d.add(R.choice(["my IBAN is ", "IBAN: ", "please refund to ", "bank account (IBAN) "]))
        d.ent("IBAN_CODE", iban())
    elif kind == "bank":
        if R.random() < 0.5:
            d.add(R.choice(["routing number ", "my routing number is ", "ABA "]))
            d.ent("US_BANK_ACCOUNT", aba())
            d.add(R.choice([" and account number ", ", account ", " acct "]))
            d.ent("US_BANK_ACCOUNT", "%0*d" % (n := R.randint(8, 12), R.randint(0, 10**n - 1)))
        else:
            d.add(R.choice(["my checking account number is ", "bank account: ", "deposit it into savings account ", "acct # "]))
            d.ent("US_BANK_ACCOUNT", "%0*d" % (n := R.randint(8, 14), R.randint(0, 10**n - 1)))
    elif kind == "dob":
        m, dd, y = R.randint(1, 12), R.randint(1, 28), R.randint(1940, 2005)
        d.add(R.choice(["my date of birth is ", "DOB: ", "I was born on ", "birthday ", "date of birth "]))
        d.ent("DATE_OF_BIRTH", R.choice(["%02d/%02d/%d" % (m, dd, y), "%d-%02d-%02d" % (y, m, dd), "%s %d, %d" % (MONTHS[m - 1].title(), dd, y), "%d %s %d" % (dd, MONTHS[m - 1].title(), y), "%d/%d/%02d" % (m, dd, y % 100)]))
    elif kind == "ip":
        d.add(R.choice(["my IP is ", "the router shows ", "connecting from ", "server ip "]))
        d.ent("IP_ADDRESS", ipv4() if R.random() < 0.8 else ipv6())
    elif kind == "address":
        city = R.choice(CITIES)
        addr = "%d %s %s" % (R.randint(1, 9999), R.choice(STREETS).title(), R.choice(SUFFIXES).title())
        if R.random() < 0.3:
            addr += R.choice([", Apt %d" % R.randint(1, 40), " Suite %d" % R.randint(100, 900), " #%d" % R.randint(1, 30)])
        if R.random() < 0.6:
            addr += ", %s, %s %s" % (city[0].title(), city[1].upper(), city[2])
        d.add(R.choice(["ship it to ", "my address is ", "I moved to ", "new address: ", "please send the replacement to "]))
        d.ent("STREET_ADDRESS", addr)
    elif kind == "person":
        n = name_value(False)
        pat = R.choice(["my name is {}", "This is {} from " + R.choice(COMPANIES).title(), "Name: {}", "I'm {}", "the account is under {}", "Thanks {}!", "Hi {},"])
        pre, post = pat.split("{}")
        if pat.startswith(("I'm", "Thanks", "Hi", "This")):
            n = R.choice(FIRST).title() + ("" if R.random() < 0.5 or pat.startswith(("Thanks", "Hi")) else " " + R.choice(LAST).title())
        d.add(pre)
        d.ent("PERSON", n)
        d.add(post)
    else:
        n = name_value(False)
        d.add("My name is ")
        d.ent("PERSON", n)
        d.add(" and my phone is ")
        d.ent("PHONE_NUMBER", fmt_phone(phone10()))
        d.add(". Email ")
        first = R.choice(FIRST)
        d.ent("EMAIL_ADDRESS", first + "." + R.choice(LAST) + "@" + R.choice(DOMAINS) + ".com")
    return {"channel": "chat", "text": d.text(), "spans": d.spans, "tags": [kind]}


def transcript_case():
    c = Conv()
    company = R.choice(COMPANIES)
    agent = R.choice(FIRST)
    a = c.turn("agent")
    a.add("thank you for calling %s this is " % company).ent("PERSON", agent).add(" how can i help you today")
    kind = R.choice(["card_spoken", "card_spoken", "card_split", "card_split", "card_mixed", "card_fail_spoken", "cvv", "expiry", "ssn", "phone", "email", "dob", "address", "name", "bank"])
    caller = c.turn("caller")
    caller.add(R.choice(["hi um i need to update my payment", "yeah hi i want to pay my bill", "hello i have a question about my account"]))
    if kind.startswith("card"):
        a = c.turn("agent")
        a.add(R.choice(["sure can i get the card number", "okay go ahead with the long number on the card", "what's the card number please", "i can help with that what card would you like to use"]))
        num = card_number()
        if kind == "card_fail_spoken":
            num = bad_luhn(num)
        if kind == "card_split":
            groups = [num[i:i + 4] for i in range(0, len(num), 4)]
            for gi, g in enumerate(groups):
                t = c.turn("caller")
                if gi == 0:
                    t.add(R.choice(["okay it's ", "sure ", "", "yeah "]))
                t.ent("CREDIT_CARD", speak_digits(g) if R.random() < 0.8 else g, "split")
                if gi < len(groups) - 1 and R.random() < 0.7:
                    c.turn("agent").add(R.choice(["okay", "mhm", "go ahead", "got it", "uh huh", "yes", "okay next"]))
        else:
            t = c.turn("caller")
            t.add(R.choice(["okay it's ", "sure it is ", "yeah ", "um it's "]))
            val = speak_digits(num) if kind != "card_mixed" else speak_digits(num, "mixed")
            t.ent("CREDIT_CARD", val, "spoken")
        if R.random() < 0.5:
            c.turn("agent").add("and the expiration date")
            m, y = R.randint(1, 12), R.randint(25, 31)
            t = c.turn("caller")
            t.add(R.choice(["", "it's ", "uh "]))
            t.ent("CARD_EXPIRY", R.choice([speak_digits("%02d" % m, "oh") + " " + TENS[2] + " " + DIGIT_WORDS[y - 20] if y < 30 else speak_digits("%02d" % m, "oh") + " thirty " + DIGIT_WORDS[y - 30] if y > 30 else speak_digits("%02d" % m, "oh") + " thirty", MONTHS[m - 1] + " twenty " + (DIGIT_WORDS[y - 20] if y < 30 else "thirty")]))
            c.turn("agent").add("and the three digit security code on the back")
            t = c.turn("caller")
            t.add(R.choice(["", "it's ", "uh "]))
            t.ent("CARD_CVV", speak_digits("%03d" % R.randint(0, 999), R.choice(["plain", "oh", "double", "mixed"])))
    elif kind == "cvv":
        c.turn("agent").add("i have the card on file can you verify the security code")
        t = c.turn("caller")
        t.add(R.choice(["sure it's ", "", "yeah "]))
        t.ent("CARD_CVV", speak_digits("%03d" % R.randint(0, 999), R.choice(["plain", "oh", "double", "mixed"])))
    elif kind == "expiry":
        c.turn("agent").add("what's the expiration date on the card")
        m, y = R.randint(1, 12), R.randint(26, 29)
        t = c.turn("caller")
        t.add("it expires ")
        t.ent("CARD_EXPIRY", R.choice([speak_digits("%02d" % m, "oh") + " twenty " + DIGIT_WORDS[y - 20], MONTHS[m - 1] + " twenty twenty " + DIGIT_WORDS[y - 20], "%02d %d" % (m, y)]))
    elif kind == "ssn":
        c.turn("agent").add(R.choice(["for verification can i have your social security number", "can you verify the last four of your social", "i need your ssn please"]))
        if c.turns[-1][1].text().endswith("social"):
            c.turn("caller").add("sure it's %s" % speak_digits("%04d" % R.randint(1, 9999)))
        else:
            t = c.turn("caller")
            t.add(R.choice(["yeah it's ", "sure ", "okay "]))
            t.ent("US_SSN", speak_digits(ssn()))
    elif kind == "phone":
        c.turn("agent").add(R.choice(["what's the best callback number", "can i get a phone number", "and your phone number"]))
        t = c.turn("caller")
        t.add(R.choice(["it's ", "sure ", "yeah it's "]))
        t.ent("PHONE_NUMBER", speak_digits(phone10()))
    elif kind == "email":
        c.turn("agent").add("and what email address should we use")
        t = c.turn("caller")
        first, last = R.choice(FIRST), R.choice(LAST)
        t.add(R.choice(["it's ", "sure ", ""]))
        t.ent("EMAIL_ADDRESS", R.choice(["%s dot %s at %s dot com" % (first, last, R.choice(DOMAINS)), "%s at %s dot com" % (first + last, R.choice(DOMAINS)), "%s underscore %s at %s dot net" % (first, last, R.choice(DOMAINS)), "%s.%s at %s.com" % (first, last, R.choice(DOMAINS))]))
    elif kind == "dob":
        c.turn("agent").add(R.choice(["can you verify your date of birth", "and your date of birth please", "what's your birthday"]))
        m, dd, y = R.randint(1, 12), R.randint(1, 28), R.randint(1945, 2004)
        t = c.turn("caller")
        t.add(R.choice(["it's ", "sure ", ""]))
        t.ent("DATE_OF_BIRTH", R.choice(["%s %s %s" % (MONTHS[m - 1], spoken_day(dd), spoken_year(y)), speak_digits("%02d%02d%d" % (m, dd, y), "oh"), "%s %d %d" % (MONTHS[m - 1], dd, y)]))
    elif kind == "address":
        c.turn("agent").add("what's the service address")
        t = c.turn("caller")
        t.add(R.choice(["it's ", "sure it's ", ""]))
        num = R.randint(10, 9999)
        city = R.choice(CITIES)
        addr = "%s %s %s" % (speak_digits(str(num), "pairs") if R.random() < 0.7 else str(num), R.choice(STREETS), R.choice(["street", "avenue", "road", "drive", "lane", "court"]))
        if R.random() < 0.5:
            addr += " %s %s %s" % (city[0], city[1] if R.random() < 0.5 else city[1], speak_digits(city[2]))
        t.ent("STREET_ADDRESS", addr)
    elif kind == "name":
        c.turn("agent").add(R.choice(["can i get your full name please", "who am i speaking with", "can i have the name on the account"]))
        t = c.turn("caller")
        n = name_value(True)
        if " " not in n:
            n += " " + R.choice(LAST)
        t.add(R.choice(["yeah it's ", "my name is ", "sure ", "this is "]))
        t.ent("PERSON", n)
    elif kind == "bank":
        c.turn("agent").add("what's the routing number on the check")
        t = c.turn("caller")
        t.add("it's ")
        t.ent("US_BANK_ACCOUNT", speak_digits(aba()))
        c.turn("agent").add("and the account number")
        t = c.turn("caller")
        t.ent("US_BANK_ACCOUNT", speak_digits("%0*d" % (n := R.randint(8, 12), R.randint(0, 10**n - 1))))
    c.turn("agent").add(R.choice(["thank you", "perfect thanks", "okay one moment", "got it let me pull that up"]))
    tags = [kind]
    if R.random() < 0.3:
        # The same call as one text with speaker labels.
        d = Doc()
        for i, (spk, t) in enumerate(c.turns):
            if i:
                d.add("\n")
            d.add(spk + ": ")
            base = d.length
            d.add(t.text())
            for s in t.spans:
                d.spans.append({**s, "start": s["start"] + base, "end": s["end"] + base})
        return {"channel": "transcript", "text": d.text(), "spans": d.spans, "tags": tags + ["labeled_text"]}
    turns = []
    spans = []
    for i, (spk, t) in enumerate(c.turns):
        turns.append({"speaker": spk, "text": t.text()})
        for s in t.spans:
            spans.append({**s, "turn": i})
    return {"channel": "transcript", "turns": turns, "spans": spans, "tags": tags}


def email_case():
    d = Doc()
    first, last = R.choice(FIRST).title(), R.choice(LAST).title()
    agent_first, agent_last = R.choice(FIRST).title(), R.choice(LAST).title()
    company = R.choice(COMPANIES).title()
    email = "%s.%s@%s.com" % (first.lower(), last.lower(), R.choice(DOMAINS))
    d.add("From: ").ent("PERSON", "%s %s" % (first, last)).add(" <").ent("EMAIL_ADDRESS", email).add(">\n")
    d.add("To: %s Support <" % company).ent("EMAIL_ADDRESS", "support@%s.com" % company.lower())
    d.add(">\nSubject: %s\n\n" % R.choice(["Billing question", "Update my details", "Refund", "Re: your order"]))
    d.add(R.choice(["Hi,\n\n", "Hello %s team,\n\n" % company, "Dear Support,\n\n"]))
    what = R.choice(["card", "phone", "address", "dob", "iban", "none", "none"])
    if what == "card":
        d.add("Please update my card on file to ")
        d.ent("CREDIT_CARD", group_card(card_number()), "written")
        d.add(", it expires ")
        m, y = R.randint(1, 12), R.randint(26, 30)
        d.ent("CARD_EXPIRY", "%02d/%02d" % (m, y))
        d.add(".")
    elif what == "phone":
        d.add("My new phone number is ").ent("PHONE_NUMBER", fmt_phone(phone10())).add(". Please update your records.")
    elif what == "address":
        city = R.choice(CITIES)
        d.add("I have moved. My new address is ").ent("STREET_ADDRESS", "%d %s %s, %s, %s %s" % (R.randint(1, 9999), R.choice(STREETS).title(), R.choice(SUFFIXES).title(), city[0].title(), city[1].upper(), city[2])).add(".")
    elif what == "dob":
        m, dd, y = R.randint(1, 12), R.randint(1, 28), R.randint(1950, 2000)
        d.add("For verification, my date of birth is ").ent("DATE_OF_BIRTH", "%02d/%02d/%d" % (m, dd, y)).add(".")
    elif what == "iban":
        d.add("Please send the refund to my IBAN ").ent("IBAN_CODE", iban()).add(".")
    else:
        d.add("My order #%d arrived damaged on %s %d. The total was $%d.%02d. Ticket %d." % (R.randint(10000, 999999), MONTHS[R.randint(0, 11)].title(), R.randint(1, 28), R.randint(5, 900), R.randint(0, 99), R.randint(100000, 9999999)))
    d.add("\n\n" + R.choice(["Thanks,", "Best regards,", "Regards,", "Sincerely,", "Cheers,"]) + "\n")
    d.ent("PERSON", first + (" " + last if R.random() < 0.6 else ""))
    if R.random() < 0.5:
        d.add("\n")
        d.ent("PHONE_NUMBER", fmt_phone(phone10()))
    if R.random() < 0.6:
        d.add("\n\nOn %s %d, 2026 at %d:%02d PM " % (MONTHS[R.randint(0, 11)].title()[:3], R.randint(1, 28), R.randint(1, 12), R.randint(0, 59)))
        d.ent("PERSON", "%s %s" % (agent_first, agent_last))
        d.add(" <").ent("EMAIL_ADDRESS", "support@%s.com" % company.lower()).add("> wrote:\n> Hi ")
        d.ent("PERSON", first)
        d.add(",\n> Thanks for reaching out. Your case number is %d.\n> Kind regards,\n> " % R.randint(100000, 999999))
        d.ent("PERSON", agent_first)
        d.add("\n> %s Support" % company)
    return {"channel": "email", "text": d.text(), "spans": d.spans, "tags": ["email_" + what]}


def hard_negative():
    texts = [
        lambda: "Your order number is %d-%07d-%07d and it ships tomorrow." % (R.randint(100, 999), R.randint(0, 9999999), R.randint(0, 9999999)),
        lambda: "order #%s%d was delivered" % (R.choice(["A", "B", "ORD-", "W"]), R.randint(10000, 99999999)),
        lambda: "ticket %d has been escalated" % R.randint(100000, 99999999),
        lambda: "tracking number 1Z%s%08d" % ("".join(R.choice(string.ascii_uppercase + string.digits) for _ in range(6)), R.randint(0, 99999999)),
        lambda: "your tracking number is 9400 %04d %04d %04d %04d %02d" % (tuple(R.randint(0, 9999) for _ in range(4)) + (R.randint(10, 99),)),
        lambda: "the total comes to $%d,%03d.%02d including tax" % (R.randint(1, 9), R.randint(0, 999), R.randint(0, 99)),
        lambda: "that'll be %d.%02d dollars" % (R.randint(5, 500), R.randint(0, 99)),
        lambda: "your appointment is at %d:%02d %s on %s %d" % (R.randint(1, 12), R.choice([0, 15, 30, 45]), R.choice(["am", "pm"]), MONTHS[R.randint(0, 11)], R.randint(1, 28)),
        lambda: "the outage started %02d/%02d/2026 at %02d:%02d" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23), R.randint(0, 59)),
        lambda: "the card ending in %04d was declined" % R.randint(0, 9999),
        lambda: "is this the visa ending in %04d" % R.randint(0, 9999),
        lambda: "i see the last four digits are %s" % speak_digits("%04d" % R.randint(0, 9999)),
        lambda: "SSN on file looks wrong: %s" % (lambda s: "%s-%s-%s" % (s[:3], s[3:5], s[5:]))(invalid_ssn()),
        lambda: "confirmation number %d" % R.randint(10**9, 10**10 - 1),
        lambda: "case number %d" % R.randint(10**7, 10**10 - 1),
        lambda: "we shipped %d items on %s %d, %d" % (R.randint(2, 12), MONTHS[R.randint(0, 11)].title(), R.randint(1, 28), R.randint(2020, 2026)),
        lambda: "i've been a customer for %d years and paid %d dollars last month" % (R.randint(2, 30), R.randint(20, 400)),
        lambda: "your reference number is %s" % speak_digits("%08d" % R.randint(0, 10**8 - 1)),
        lambda: "please hold for about %d minutes" % R.randint(2, 20),
        lambda: "the invoice %d is due on %d/%d" % (R.randint(10000, 99999), R.randint(1, 12), R.randint(1, 28)),
        lambda: "model %s-%d serial number %d" % (R.choice(["XR", "TX", "Q"]), R.randint(100, 999), R.randint(10**9, 10**12)),
        lambda: "this is a great product and i will buy it again",
        lambda: "i'm sorry to hear that, let me check with my supervisor",
        lambda: "we are open monday through friday from 9 to 5",
        lambda: "version 2.4.1.7 fixed the problem",
        lambda: "your balance is %d.%02d and the minimum payment is %d.%02d" % (R.randint(100, 9000), R.randint(0, 99), R.randint(25, 200), R.randint(0, 99)),
        lambda: "rewards number %d" % R.randint(10**11, 10**12 - 1),
        lambda: "room %d on floor %d" % (R.randint(100, 999), R.randint(1, 20)),
        lambda: "yeah it was like two or three weeks ago maybe four",
        lambda: "the payment of %d dollars posted on march %s" % (R.randint(10, 900), ORDINALS[R.randint(0, 19)]),
    ]
    return {"channel": R.choice(["chat", "transcript"]), "text": R.choice(texts)(), "spans": [], "tags": ["hard_negative"]}


def main():
    cases = []
    for _ in range(1300):
        cases.append(chat_case())
    for _ in range(1300):
        cases.append(transcript_case())
    for _ in range(500):
        cases.append(email_case())
    for _ in range(900):
        cases.append(hard_negative())
    R.shuffle(cases)
    with open(os.path.join(HERE, "corpus.jsonl"), "w") as f:
        for i, c in enumerate(cases):
            f.write(json.dumps({"id": "g%05d" % i, **c}, ensure_ascii=False) + "\n")
    print("%d cases" % len(cases))


if __name__ == "__main__":
    main()
