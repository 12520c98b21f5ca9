#!/usr/bin/env python3
"""Writes `handwritten.jsonl`: hand-written cases, each a miss or a near miss found while
building the redactor, in the corpus format (offsets in code points). Entities are given as
substrings of the text (the n-th occurrence with "#n"), or of one turn of a conversation
(`TURN_CASES`), so the cases stay readable.
Run: `python3 testdata/redact/handwritten.py`.
"""
import json
import os

CASES = [
    # (channel, text, [(type, substring)], tags)
    ("chat", "Hi there, I'd like to update the card on my account. New one is 5424 1810 0000 0006, exp 09/28, CVV 231. Thanks!",
     [("CREDIT_CARD", "5424 1810 0000 0006"), ("CARD_EXPIRY", "09/28"), ("CARD_CVV", "231")], []),
    ("chat", "can u charge 4242424242424242 instead? exp 1229", [("CREDIT_CARD", "4242424242424242"), ("CARD_EXPIRY", "1229")], []),
    ("chat", "Card number: 2720 9900 0000 0007 / Expiration: 11-2027 / Security code: 8812",
     [("CREDIT_CARD", "2720 9900 0000 0007"), ("CARD_EXPIRY", "11-2027"), ("CARD_CVV", "8812")], []),
    ("chat", "My SSN is 219-09-9999 and DOB 7/4/1976", [("US_SSN", "219-09-9999"), ("DATE_OF_BIRTH", "7/4/1976")], []),
    ("chat", "social is 219 09 9999", [("US_SSN", "219 09 9999")], []),
    ("transcript", "caller: my social security number is two one nine oh nine nine nine nine nine",
     [("US_SSN", "two one nine oh nine nine nine nine nine")], []),
    ("chat", "Please call me back at 415.555.2671 or my cell +1 (628) 555-0143.",
     [("PHONE_NUMBER", "415.555.2671"), ("PHONE_NUMBER", "+1 (628) 555-0143")], []),
    ("chat", "You can reach me on +44 7911 123456 after 6pm UK time", [("PHONE_NUMBER", "+44 7911 123456")], []),
    ("email", "email me at J.Doe-Smith+billing@sub.example.co.uk", [("EMAIL_ADDRESS", "J.Doe-Smith+billing@sub.example.co.uk")], []),
    ("transcript", "my email is jane underscore doe at yahoo dot com", [("EMAIL_ADDRESS", "jane underscore doe at yahoo dot com")], []),
    ("transcript", "it's k r i s t e n at gmail dot com", [("EMAIL_ADDRESS", "k r i s t e n at gmail dot com")], []),
    ("email", "Our office: 1600 Amphitheatre Pkwy, Mountain View, CA 94043", [("STREET_ADDRESS", "1600 Amphitheatre Pkwy, Mountain View, CA 94043")], []),
    ("chat", "I live at 221B Baker Street", [("STREET_ADDRESS", "221B Baker Street")], []),
    ("transcript", "send it to po box 4471 chicago il 60680", [("STREET_ADDRESS", "po box 4471 chicago il 60680")], []),
    ("chat", "Wire to IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX", [("IBAN_CODE", "DE89 3704 0044 0532 0130 00")], []),
    ("chat", "routing 026009593 account 000123456789", [("US_BANK_ACCOUNT", "026009593"), ("US_BANK_ACCOUNT", "000123456789")], []),
    ("transcript", "date of birth march 5th 1982", [("DATE_OF_BIRTH", "march 5th 1982")], []),
    ("chat", "I was born on the 5th of March, 1982.", [("DATE_OF_BIRTH", "5th of March, 1982")], []),
    ("chat", "Server 10.12.0.254 is unreachable, also fe80::1ff:fe23:4567:890a",
     [("IP_ADDRESS", "10.12.0.254"), ("IP_ADDRESS", "fe80::1ff:fe23:4567:890a")], []),
    ("chat", "Hi, this is Dana from billing. Is this Mr. O'Brien?", [("PERSON", "Dana"), ("PERSON", "O'Brien")], []),
    ("transcript", "thanks so much jessica have a great day", [("PERSON", "jessica")], []),
    ("email", "Best,\nTom\n\nSent from my iPhone", [("PERSON", "Tom")], []),
    ("chat", "hey its marcus again, order #88123 still hasnt shipped", [("PERSON", "marcus")], []),
    # An unlisted surname after a listed given name, in lowercase speech.
    ("transcript", "it's jane doe, card four one one one one one one one one one one one one one one one",
     [("PERSON", "jane doe"), ("CREDIT_CARD", "four one one one one one one one one one one one one one one one")], []),
    ("transcript", "hi yes this is priya venkataraman calling about my bill", [("PERSON", "priya venkataraman")], []),
    # Review finds: non-ASCII spaces separate groups; CJK/curly punctuation ends a number.
    ("email", "Card: 4111\u00a01111\u00a01111\u00a01111 (copied from the portal)", [("CREDIT_CARD", "4111\u00a01111\u00a01111\u00a01111")], []),
    ("chat", "my card is 4111111111111111\u3002 thanks", [("CREDIT_CARD", "4111111111111111")], []),
    # Fuzz find: a street name does not run on from the line before ("… n70\nLn Mar 1").
    ("email", "your reference number is five six n70\nLn Mar 1, 2026 at 1:49 PM we wrote", [], ["hard_negative"]),
    # Fuzz find: "support" before "@" is an address's local part, not "Acme Support".
    ("email", "To: Wayne support@example.com\nSubject: refund", [("PERSON", "Wayne"), ("EMAIL_ADDRESS", "support@example.com")], []),
    ("transcript", "caller: hi derek yeah um my name is sandra okonkwo and i need to check a charge",
     [("PERSON", "derek"), ("PERSON", "sandra okonkwo")], []),
    ("chat", "your order 4111-1111-1111-1111? no thats my card lol", [("CREDIT_CARD", "4111-1111-1111-1111")], []),
    ("transcript", "it's a visa, four five three two, zero one five one, one two eight three, oh three six six",
     [("CREDIT_CARD", "four five three two, zero one five one, one two eight three, oh three six six")], []),
    ("transcript", "um yeah the number is uh four one four seven uh two zero two uh three nine four seven uh eight one six two",
     [("CREDIT_CARD", "four one four seven uh two zero two uh three nine four seven uh eight one six two")], []),
    ("transcript", "my phone number is eight six seven five three oh nine", [("PHONE_NUMBER", "eight six seven five three oh nine")], []),
    ("transcript", "the account number is one two three four five six seven eight nine", [("US_BANK_ACCOUNT", "one two three four five six seven eight nine")], []),
    ("email", "Name: Rebecca Lindqvist\nPhone: (312) 555-0199\nAddress: 77 West Wacker Dr, Chicago, IL 60601",
     [("PERSON", "Rebecca Lindqvist"), ("PHONE_NUMBER", "(312) 555-0199"), ("STREET_ADDRESS", "77 West Wacker Dr, Chicago, IL 60601")], []),
    ("transcript", "caller: four one one one\nagent: okay\ncaller: one one one one one one one one one one one one",
     [("CREDIT_CARD", "four one one one"), ("CREDIT_CARD", "one one one one one one one one one one one one")], []),
    ("transcript", "agent: and the expiration\ncaller: oh four twenty seven\nagent: and the cvv\ncaller: three one four",
     [("CARD_EXPIRY", "oh four twenty seven"), ("CARD_CVV", "three one four")], []),
    ("chat", "Mastercard 2221 0012 3412 3456 please", [("CREDIT_CARD", "2221 0012 3412 3456")], []),
    ("chat", "amex 3714 496353 98431 exp 08/29", [("CREDIT_CARD", "3714 496353 98431"), ("CARD_EXPIRY", "08/29")], []),
    ("transcript", "it's six zero one one triple one double one uh one one one one one one seven", [("CREDIT_CARD", "six zero one one triple one double one uh one one one one one one seven")], []),
    ("transcript", "my name is priya raman", [("PERSON", "priya raman")], []),
    ("chat", "From: Carlos Mendes <carlos.m@example.org>", [("PERSON", "Carlos Mendes"), ("EMAIL_ADDRESS", "carlos.m@example.org")], []),
    ("email", "Dear Ms. Okafor,\n\nYour refund has been processed.\n\nKind regards,\nHelen Park\nAcme Billing",
     [("PERSON", "Okafor"), ("PERSON", "Helen Park")], []),
    ("chat", "4111111111111111 12/25 123", [("CREDIT_CARD", "4111111111111111"), ("CARD_EXPIRY", "12/25"), ("CARD_CVV", "123")], []),
    ("chat", "pls use 5500 0000 0000 0004 09/27 331 thx", [("CREDIT_CARD", "5500 0000 0000 0004"), ("CARD_EXPIRY", "09/27"), ("CARD_CVV", "331")], []),
    ("chat", "the number on the front is 4111 1111 1111 1111 and the back is 737", [("CREDIT_CARD", "4111 1111 1111 1111"), ("CARD_CVV", "737")], []),
    ("chat", "Karen here, my acct is locked", [("PERSON", "Karen")], []),
    ("chat", "Hi I'm Maria Lopez, calling about my bill", [("PERSON", "Maria Lopez")], []),
    ("transcript", "agent: may i have your first and last name\ncaller: sure it's tom bradley", [("PERSON", "tom bradley")], []),
    ("chat", "the card holder is Robert Chen", [("PERSON", "Robert Chen")], []),
    ("transcript", "call me at five five five, two three four, five six seven eight", [("PHONE_NUMBER", "five five five, two three four, five six seven eight")], []),
    ("chat", "ok my card is 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", [("CREDIT_CARD", "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")], []),
    ("transcript", "Speaker 1: can I get the card number\nSpeaker 2: four one one one one one one one\nSpeaker 1: okay\nSpeaker 2: one one one one one one one one",
     [("CREDIT_CARD", "four one one one one one one one"), ("CREDIT_CARD", "one one one one one one one one")], []),
    ("chat", "My SSN is 123-45-6789", [("US_SSN", "123-45-6789")], []),
    ("chat", "ship to 123 N. Main St, Springfield, IL 62704", [("STREET_ADDRESS", "123 N. Main St, Springfield, IL 62704")], []),
    ("transcript", "area code five five five then two three four five six seven eight", [("PHONE_NUMBER", "five five five then two three four five six seven eight")], []),
    # Found by cargo-fuzz: a second pass took "[PERSON]" for the answer to "the name on the account".
    ("transcript", "can i have the name on the account\nsure rosa silva\nthank you", [("PERSON", "rosa silva")], []),
    # Found by cargo-fuzz: a second pass took the next line for the name after "my name is [PERSON]".
    ("transcript", "can i get your full name please\nmy name is melanie romero\nperfect thanks", [("PERSON", "melanie romero")], []),
    ("transcript", "Agent: Thank you for calling Acme, my name is Jordan. Who am I speaking with?\nCustomer: Hi Jordan, this is Patricia Gomez.",
     [("PERSON", "Jordan"), ("PERSON", "Jordan#1"), ("PERSON", "Patricia Gomez")], []),
    ("transcript", "Customer: My card number is 4532 7153 3790 1241.\nAgent: Thank you. And the expiration date?\nCustomer: It's 08/26.\nAgent: And the CVV?\nCustomer: 492.",
     [("CREDIT_CARD", "4532 7153 3790 1241"), ("CARD_EXPIRY", "08/26"), ("CARD_CVV", "492")], []),
    ("transcript", "agent: can you confirm your address\ncustomer: sure it's forty two eleven maple grove lane apartment six b",
     [("STREET_ADDRESS", "forty two eleven maple grove lane apartment six b")], []),
    ("chat", "text me on 07700 900123", [("PHONE_NUMBER", "07700 900123")], []),
    ("transcript", "caller: it's uh three seven eight two eight two two four six three one oh oh oh five",
     [("CREDIT_CARD", "three seven eight two eight two two four six three one oh oh oh five")], []),
    ("chat", "I paid with my Amex ending 1005 yesterday for $45.20", [], ["hard_negative"]),
    ("chat", "Please verify: SSN ending 4321", [], ["hard_negative"]),
    # Hard negatives.
    ("chat", "Order total: $1,249.00. Order ID: 114-3941689-8772232. Delivered 3/14.", [], ["hard_negative"]),
    ("chat", "i'll pay the 450 dollars on the 15th, ticket 2231987", [], ["hard_negative"]),
    ("chat", "The meeting is at 3:30pm in room 204", [], ["hard_negative"]),
    ("chat", "card ending 4821 please", [], ["hard_negative"]),
    ("transcript", "agent: for security can you give me the last four of your social\ncaller: yeah it's nine nine nine nine", [], ["hard_negative"]),
    ("chat", "The meeting is on March 5th, 1982 was the year I started", [], ["hard_negative"]),
    ("chat", "tracking 9400 1000 0000 0000 0000 00 shows delivered", [], ["hard_negative"]),
    ("chat", "we'll send a verification code to your phone, it expires in 10 minutes", [], ["hard_negative"]),
    ("chat", "your case number is 00481516 and the wait is about 20 minutes", [], ["hard_negative"]),
    ("transcript", "yeah i ordered like three or four of them back in march maybe april", [], ["hard_negative"]),
    ("chat", "Model XR-450 serial 88210044 purchased 2023-11-02 for $349.99", [], ["hard_negative"]),
    ("chat", "the invoice 55123 is due 12/01/2026, balance 1,204.55", [], ["hard_negative"]),
    ("chat", "I will be there at 10 and will call when I am close", [], ["hard_negative"]),
    ("chat", "version 10.2.3.4 of the app keeps crashing", [], ["hard_negative"]),
    ("chat", "I was charged $4,111.11 twice on 11/11", [], ["hard_negative"]),
    ("chat", "please confirm the billing zip 94107", [], ["hard_negative"]),
    # Speech recognizers put commas between digit groups (Amazon Transcribe, Whisper).
    ("transcript", "card number: 4539, 1488, 0343, 6467", [("CREDIT_CARD", "4539, 1488, 0343, 6467")], []),
    ("transcript", "Yes, it's 3782,822463,10005 for the amex", [("CREDIT_CARD", "3782,822463,10005")], []),
    ("transcript", "it's four five three nine, fourteen eighty eight, oh three four three, sixty four sixty seven",
     [("CREDIT_CARD", "four five three nine, fourteen eighty eight, oh three four three, sixty four sixty seven")], []),
    # Commas in lists, prices and dates join nothing.
    ("chat", "please add items 12, 13, 14 to the card order", [], ["hard_negative"]),
    ("chat", "the card was charged 1,299.00 and 2,450.00 on 03/14", [], ["hard_negative"]),
    ("chat", "my card statements for 2021, 2022, 2023 are missing", [], ["hard_negative"]),
    ("chat", "On March 12, 2026, 1,204 cards were mailed", [], ["hard_negative"]),
]

# Conversations: (channel, [(speaker, text)], [(type, turn, substring)], tags).
TURN_CASES = [
    # The agent's "go on" between the caller's groups does not break the card.
    ("transcript", [("agent", "Can I get the card number, please?"), ("caller", "four five three nine"),
                    ("agent", "go on"), ("caller", "1488 0343"), ("agent", "okay"), ("caller", "6467")],
     [("CREDIT_CARD", 1, "four five three nine"), ("CREDIT_CARD", 3, "1488 0343"), ("CREDIT_CARD", 5, "6467")], []),
    ("transcript", [("agent", "card number please"), ("caller", "4539 1488"), ("agent", "yes go ahead"),
                    ("caller", "0343"), ("agent", "and the rest?"), ("caller", "6467")],
     [("CREDIT_CARD", 1, "4539 1488"), ("CREDIT_CARD", 3, "0343"), ("CREDIT_CARD", 5, "6467")], []),
    ("transcript", [("agent", "what's the long number on the card"), ("caller", "five four two four one eight one oh"),
                    ("agent", "next four"), ("caller", "zero zero zero zero"), ("agent", "uh huh"),
                    ("caller", "zero zero zero six")],
     [("CREDIT_CARD", 1, "five four two four one eight one oh"), ("CREDIT_CARD", 3, "zero zero zero zero"),
      ("CREDIT_CARD", 5, "zero zero zero six")], []),
    # A prompt for another number ends the card: the code is not its last digits.
    ("transcript", [("agent", "card number please"), ("caller", "4539 1488 0343 6467"),
                    ("agent", "and the security code?"), ("caller", "731")],
     [("CREDIT_CARD", 1, "4539 1488 0343 6467"), ("CARD_CVV", 3, "731")], []),
    # A security code read as words after the agent asks for the one on the back.
    ("transcript", [("agent", "and the security code on the back?"), ("caller", "it is seven three one")],
     [("CARD_CVV", 1, "seven three one")], []),
    ("transcript", [("agent", "what's the security code on the back of the card"), ("caller", "uh four four one two")],
     [("CARD_CVV", 1, "four four one two")], []),
    # Short turns between numbers of other kinds join nothing.
    ("transcript", [("agent", "what's the zip code"), ("caller", "94107"), ("agent", "go on"),
                    ("caller", "my order was 12 items")], [], ["hard_negative"]),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "handwritten.jsonl"), "w") as f:
        for n, (channel, text, ents, tags) in enumerate(CASES):
            spans, used = [], {}
            for typ, sub in ents:
                if "#" in sub and sub.rsplit("#", 1)[1].isdigit():
                    sub = sub.rsplit("#", 1)[0]
                k = used.get(sub, 0)
                pos = -1
                for _ in range(k + 1):
                    pos = text.index(sub, pos + 1)
                used[sub] = k + 1
                spans.append({"start": pos, "end": pos + len(sub), "type": typ})
            f.write(json.dumps({"id": "h%03d" % n, "channel": channel, "text": text, "spans": spans, "tags": tags}, ensure_ascii=False) + "\n")
        for n, (channel, turns, ents, tags) in enumerate(TURN_CASES, start=len(CASES)):
            spans = []
            for typ, turn, sub in ents:
                pos = turns[turn][1].index(sub)
                spans.append({"start": pos, "end": pos + len(sub), "type": typ, "turn": turn})
            f.write(json.dumps({"id": "h%03d" % n, "channel": channel,
                                "turns": [{"speaker": sp, "text": t} for sp, t in turns],
                                "spans": spans, "tags": tags}, ensure_ascii=False) + "\n")
    print("%d cases" % (len(CASES) + len(TURN_CASES)))


if __name__ == "__main__":
    main()
