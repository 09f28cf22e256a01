"""Realistic replies to a listening question, for the fake platform and the offline demo.

Replies mix praise, complaints, sarcasm, questions, emoji, links, other languages, very long
ones, exact duplicates, whitespace-only ones and hostile markup, and about a third of them
answer another reply rather than the question. Complaints and praise come back to a few
recurring topics (TOPICS), each said in many different words, so that themes have something to
find. Everything comes from the `rng` passed in.
"""

# Recurring topics, each in many wordings (written for the demo; no data set was copied).
TOPICS = {
    "on hold": [
        "I was on hold for 47 minutes and then the call dropped. Awful service.",
        "Spent an hour on hold this morning, nobody ever picked up.",
        "Your hotline keeps me on hold forever, the music is driving me mad.",
        "Called three times, on hold each time, then it just hung up on me.",
        "Is there a way to talk to a human without waiting an hour on hold?",
        "Tried calling, 40 minutes of hold music and no answer.",
        "Nobody answers the phone. I've been holding since 9am.",
    ],
    "refunds": [
        "Charged twice, refund promised, nothing. I'm done with you guys.",
        "Still waiting for my refund after three weeks.",
        "You took the money twice and the refund never came.",
        "Where is my refund? It's been a month since I returned it.",
        "Refund took six weeks, seriously?",
        "Got charged a fee nobody told me about. I want my money back.",
    ],
    "invoice portal": [
        "The invoice portal is broken AGAIN. This is so frustrating.",
        "Can't download invoices from the portal, it just spins.",
        "Your invoice portal logs me out every time I open a PDF.",
        "Where do I find my invoices from last year? The portal shows nothing.",
        "Invoice portal error 500 for the third day in a row.",
    ],
    "website login": [
        "Not easy at all. Your website logs me out every time I try to pay.",
        "The login page rejects my password even after a reset.",
        "Website crashed twice at checkout, had to order by phone.",
        "Your app won't let me log in since the update.",
        "The site is so slow, the checkout page timed out on me.",
    ],
    "delivery": [
        "Worst experience ever, the courier left my package in the rain 😡",
        "Delivery was two days late and nobody told me.",
        "My parcel was marked delivered but never arrived.",
        "The courier didn't even ring, just left a card. Now I have to collect it myself.",
        "Delivery slot missed again, third time this month.",
    ],
    "fast friendly support": [
        "Support sorted my refund in ten minutes. Great job, really impressed!",
        "Very easy. The chat agent (Priya I think?) was brilliant and kind.",
        "Your support team is fast and friendly, thank you!",
        "Customer service answered in five minutes and fixed it. Brilliant.",
        "Super helpful agent on the chat today, problem solved in one go.",
        "10/10 would do business again. Fast, friendly support, no nonsense.",
    ],
    "easy checkout": [
        "No problems at all, the new checkout is super smooth.",
        "Love the app update, finally I can change my delivery slot myself 👍",
        "Ordered in two minutes, the checkout is really easy now.",
        "The new app makes ordering so simple.",
        "Honestly you're one of the easiest companies I deal with. Ordered, paid, done.",
    ],
}

PRAISE = [
    "Easiest onboarding I've had with any supplier this year :)",
    "Your team went above and beyond when my parcel got lost. Thank you!!",
]
COMPLAINTS = [
    "Terrible. Three weeks and still no answer to my ticket.",
    "Why do I have to call to cancel when I signed up online in 2 minutes? Ridiculous.",
    "Your chatbot is useless, it just loops back to the FAQ.",
]
TOPIC_REPLIES = [text for wordings in TOPICS.values() for text in wordings]
SARCASM = [
    "Oh sure, super easy, if you enjoy filling the same form four times.",
    "Yeah right, 'quick and simple' they said. Still waiting since March.",
    "Love how the 'help' button takes me to a 404. Great stuff 🙃",
    "Wow, only six emails to change my address. Amazing efficiency.",
]
QUESTIONS = [
    "Do you plan to support Apple Pay? That would make it much easier.",
    "Who should I contact about a business account?",
    "Can I change my order after it's been dispatched?",
]
EMOJI = ["🔥🔥🔥", "👍", "😍😍", "🙄", "💯 easy", "😤😤😤", "❤️", "🤷"]
LINKS = [
    "Wrote about my experience here: https://example.com/blog/why-i-switched",
    "Same problem as this thread https://example.org/forum/t/12345 — any fix?",
    "Screenshot of the error: https://example.net/i/abc123.png",
]
OTHER_LANGUAGES = [
    "Muy fácil, el servicio al cliente es excelente.",
    "Leider gar nicht einfach. Die Hotline ist nie erreichbar.",
    "Franchement, c'est compliqué de vous joindre par téléphone.",
    "とても使いやすいです。ありがとうございます！",
    "Atendimento rápido e eficiente, recomendo.",
    "Ottimo servizio, consegna in due giorni.",
]
HOSTILE_MARKUP = [
    "<script>alert('xss')</script> lol your site",
    '<img src=x onerror="alert(1)"> easy to break your page?',
    "Check my status: <a href=\"javascript:alert(1)\">click</a>",
    "&lt;b&gt;bold&lt;/b&gt; & friends <b>not bold</b>",
]
BLANK = ["   ", "\n\t \n", "\u200b", " \u00a0 "]
LONG_PARTS = [
    "Let me tell you the whole story, because I think it matters.",
    "First I tried the website, which kept timing out on the payment page.",
    "Then I called the hotline and the agent was friendly but could not see my order.",
    "She escalated it and promised a call back within 24 hours, which never came.",
    "After that I wrote an email, got an automatic reply, then nothing for a week.",
    "To be fair, once someone finally picked it up, it was fixed in a day and they added a voucher.",
    "So: great people, slow process, and I still don't know who owns my problem.",
    "If you want to be easy to do business with, make one person own a customer's issue end to end.",
]
AUTHORS = [
    "maria_k", "dev_dan", "the_real_sam", "Kofi_A", "lena.b", "jp_tanaka", "grumpy_cat_42",
    "ana-luiza", "mo_hassan", "chris_p", "fatima_z", "olivier.r", "big_bird", "nina_s",
]
CATEGORIES = [
    (TOPIC_REPLIES, 36), (PRAISE, 4), (COMPLAINTS, 4), (SARCASM, 8), (QUESTIONS, 12), (EMOJI, 6), (LINKS, 5),
    (OTHER_LANGUAGES, 8), (HOSTILE_MARKUP, 3), (BLANK, 2),
]


def reply_text(rng):
    """One reply's text."""
    roll = rng.random()
    if roll < 0.03:
        return " ".join(rng.choice(LONG_PARTS) for _ in range(rng.randint(30, 120)))
    pools, weights = zip(*CATEGORIES)
    pool = rng.choices(pools, weights=weights)[0]
    text = rng.choice(pool)
    if pool is not BLANK and rng.random() < 0.25:
        text = text + " " + rng.choice(EMOJI)
    return text


def generate_replies(rng, count, *, duplicate_share=0.04, nested_share=0.35):
    """`count` replies as dicts {text, author, parent}; parent is an index into the list or None."""
    replies = []
    for i in range(count):
        if replies and rng.random() < duplicate_share:
            text = rng.choice(replies)["text"]  # the same words again, from someone else
        else:
            text = reply_text(rng)
        parent = rng.randrange(i) if i and rng.random() < nested_share else None
        replies.append({"text": text, "author": rng.choice(AUTHORS), "parent": parent})
    return replies
