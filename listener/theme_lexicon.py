"""The customer-service aspect lexicon: what people complain about or praise, in their own words.

Written by hand from general knowledge of customer-service conversations (airlines, shops,
delivery, subscriptions, banking); nothing here is extracted from any data set. Each aspect has a
stable key (a theme's identity across weeks), a short label people would say, and regular
expressions for its phrase variants; words that name the thing weigh more than its circumstances.
A reply's dominant aspect is the one with the most weight among those no other matched aspect
outranks (OUTRANKS: the problem, not its consequence); a tie goes to the aspect listed first (the
more specific ones are listed first). Some aspects are shown as one theme (FAMILY).

English only: replies in other languages are grouped by their own words (see theme_groups).
"""

import re
from collections import Counter

# (key, label, weight per match, patterns). Patterns are regular expressions over lower-cased
# text with URLs and @handles removed (\b marks word edges), or (pattern, own weight).
ASPECTS = [
    ("damage", "damaged bags or items", 1.5, [
        r"\bdamag(?!e\b)\w*", r"\bdamage\b(?! (?:has been|is|was) done| control)", r"\bbroken (?:bag|suitcase|luggage|handle|wheel|item|parcel|box)",
        r"\b(?:smashed|crushed|ripped|torn|dented|cracked|shattered)\b",
        r"\bbroke (?:my |our |the |a )?(?:\w+ )?(?:bag|suitcase|luggage|handle|wheel|stroller|car ?seat)",
        r"\b(?:bag|suitcase|luggage) (?:was |is |got |came back )?(?:broken|ruined|destroyed|wet|soaked)",
    ]),
    ("bags", "lost or delayed bags", 1.5, [
        r"\bbags?\b", r"\bbaggage\b", r"\bluggage\b", r"\bsuitcases?\b", r"\bcarry[- ]?ons?\b",
        r"\bchecked in (?:a |my |our )?bag", r"\bbag(?:gage)? claim\b", r"\bcarousel\b",
        r"\blost (?:my |our )?(?:stuff|belongings)", r"\bstroller\b", r"\bcar ?seat\b", r"\bluggages\b",
        (r"\blost\b(?! (?:a |my |our |your |their |another |all )?(?:customers?|business|loyalty|faith|trust|respect|money|seat|day|days|time|hours?|miles|points|status|connection|voucher|patience|mind|sleep|job|income|deposit))", 1.0), (r"\bwhere is (?:it|my)\b", 1.0), (r"\bwhere (?:it|they) (?:is|are)\b", 1.0), r"\bfile reference\b",
        r"\breport (?:was |has been )?filed\b", r"\bbelongings\b",
        r"\b(?:filed?|filing) a claim\b", r"\bclaim (?:number|ref\w*|form)\b", r"\bpossessions\b", r"\bproperty\b",
        (r"\bmissing\b(?! (?:a |my |our |the |out |another )?(?:day|days|connect\w*|flights?|meetings?|work|appointments?|vacation|out))", 1.0),
    ]),
    ("cancellation", "cancellations", 2.0, [
        r"\bcancel(?<!\bi cancel)(?<!\bwe cancel)\w*",  # what the customer cancelled is context
        r"\bcanx\b", r"\bc(?<!\bi c)(?<!\bwe c)a?ncle?d\b", r"\bcxl\w*", r"\bcnx?ld\b", r"\bvoided\b",
        r"\bcalled off\b", r"\bscrapped\b",
    ]),
    ("delay", "delays", 1.5, [
        (r"\bdelay\w*", 2.0), r"\blate\b", r"\blater than\b", r"\btardy\b", r"\bon time\b", r"\bontime\b",
        r"\bmissed (?:my |our |the )?(?:connect\w*|flight|train|meeting|appointment)",
        r"\bmiss (?:my |our |the )?(?:connect\w*|flight)", r"\bmisconnect\w*",
        r"\b(?:still|been) (?:sitting|stuck|waiting) (?:on|at|in) the (?:plane|tarmac|runway|gate)",
        r"\btarmac\b", r"\brunway\b", r"\bde-?ic\w*", r"\b(?:hours?|hrs?|minutes|mins) (?:late|behind)",
        r"\bstill (?:not )?(?:boarding|boarded|departed|here)\b", r"\bwaiting (?:since|for) (?:hours|ages)",
        r"\bwait(?:ing)? (?:for|on) (?:a |the )?(?:gate|pilot|crew|fuel|paperwork|jet ?bridge)",
        r"\b(?:still )?(?:at|on) the gate\b", r"\bpushed back\b", r"\bdiverted\b",
        r"\bslow (?:delivery|shipping)\b", r"\btakes? (?:forever|ages)\b",
        r"\bhaven'?t (?:moved|left|taken off|boarded)", r"\bnot ready\b", r"\b(?:leave|depart) until\b",
        r"\b(?:let us|get) off the plane\b", r"\btake ?off\b",
        r"\b(?:behind|after|off) schedule\b", r"\blet us (?:out|off|deplane)\b", r"\b(?:wait\w* (?:\w+ )?for|no) (?:a |an )?(?:open )?gate\b",
        r"\bgate (?:isn'?t|is not|wasn'?t) (?:empty|free|open|available|ready)", r"\bget(?:ting)? going\b", (r"\bfinally\b", 0.75),
        # the circumstances of a delay more than the delay itself: they tip the balance only
        (r"\b(?:hours?|hrs?)\b", 0.5), (r"\bwaiting\b", 0.5), (r"\bsitting\b", 0.5), (r"\bsat\b", 0.5),
        (r"\bstuck\b", 0.75), (r"\bstranded\b", 0.75), (r"\bovernight\b", 0.75), (r"\bdepartures?\b", 0.75),
        (r"\bconnections?\b", 0.75), (r"\bcnxns?\b", 0.75), (r"\blayovers?\b", 0.75), (r"\bweather\b", 0.75), (r"\bsnow\b", 0.75),
        (r"\bstorms?\b", 0.75),
        r"\bsupposed to (?:board|depart|leave|take off|land|arrive|be (?:in|at|there|home))",
        r"\b(?:haven'?t|hasn'?t|not) (?:even )?(?:boarded|started boarding|left|departed|moved|taken off)",
        r"\bnew (?:eta|departure time)\b", r"\btime changes?\b", r"\bhold[- ]?up\b", r"\bno movement\b", r"\bwhen (?:will|are|do) (?:we|you|it|the plane) (?:leave|leaving|depart|board|take off|fly)", r"\bdiver(?:ted|ged)\b",
        r"\bpull(?:ed|ing)? away\b", (r"\b(?:get|getting|make it|go) home\b", 0.75),
        (r"\bmiss(?:ed|ing)? (?:a |another |a full )?(?:day|days) of (?:work|vacation)", 0.75),
    ]),
    ("hold", "on hold / can't get through", 1.5, [
        r"\bhold\b(?![- ]?up)(?! (?:my|our|the|a|his|her|their|that|this|your) (?:\w+ )?(?:connect\w*|flights?|planes?|gates?|doors?|seats?|reservations?|bookings?|rooms?|items?|orders?))", r"\bhanging up\b", r"\bnot (?:taking|answering) (?:calls|the phone)", r"\bholding\b", r"\bhung up\b", r"\bhang up\b",
        r"\bcall(?:ed|ing)? back\b", r"\bcallback\b", r"\bcan'?t get through\b", r"\bget through\b",
        r"\bbusy signal\b", r"\bdisconnect\w*", r"\bcall (?:dropped|disconnected)\b", r"\bdropped (?:my |the )?call",
        r"\bno ?(?:one|body) (?:answers?|picks up|responds?|replies)", r"\bno (?:answer|response|reply)\b",
        r"\b(?:never|didn'?t|doesn'?t|won'?t) (?:answer|respond|reply|call back|get back)\w*",
        r"\bunanswered\b", r"\bignor\w*", r"\bwaiting (?:on|for) (?:a |an )?(?:call|reply|response|answer|email)",
        r"\bhotline\b", r"\btry (?:again|back|calling (?:back|again))\b", r"\b(?:live|real) (?:person|human|agent)\b", r"\bphone lines?\b", r"\bcall (?:center|centre)\b", r"\bwait times?\b",
        r"\bhangs? up\b", r"\bphone tree\b", r"\b(?:not|stop) (?:be )?taking calls\b", r"\bhigh call volume\b",
        r"\b(?:don'?t|do not|not|nobody|no one) (?:answer|answering|pick(?:ing)? up|respond|responding|reply|replying)\b",
        r"\breach (?:anyone|anybody|someone|a (?:human|person|real person|live person))\b", r"\bget a hold of\b",
        r"\b(?:talk|speak|get|reach|connect|connected) (?:to|through to|with)? ?(?:someone|anyone|anybody|somebody|an? (?:agent|operator|human|person|live person|real person|rep\w*))\b",
        r"\b(?:on|sat on|stuck on) the phone (?:for|since|all)\b", r"\bnumber\b(?<=800 number)", r"\bline\b(?<=800 line)", r"\btoll[- ]free (?:number|line)\b",
        r"\bcall (?:gets |got |keeps getting |was |kept getting )?(?:dropped|cut off)\b", r"\bdrop(?:ped)? (?:my |the )?calls?\b",
        r"\bcall volumes?\b", r"\blines? (?:is |are |were |was )?(?:always |all )?busy\b", r"\boperators?\b",
        r"\b(?:heard|hear) nothing\b", r"\bhaven'?t heard\b", r"\bnever heard back\b", r"\b(?:still )?no word\b",
        r"\bstill no (?:reply|response|answer|update|call|email|one)\b", r"\bno ?(?:one|body) (?:helped|helps|cares|knows|is helping)\b",
        r"\bautomated (?:system|message|call|voice|line)s?\b", r"\brobo-?call\w*", r"\bno (?:way to|one to) (?:talk|speak|reach)\b",
    ]),
    ("crew", "flight attendants and crew", 2.0, [
        r"\bflight attendants?\b", r"\battendants?\b", r"\b(?:cabin |flight |air )?crew\b", r"\bstewardess\w*",
        r"\bsteward\b", r"\bpilots?\b", r"\bcaptain\b", r"\bcapt\b", r"\bfas\b", r"\bflight staff\b", r"\bpurser\b",
    ]),
    ("staff", "staff and agents", 1.5, [
        r"\bgate agents?\b", r"\bstaff\b", r"\bagents?\b", r"\brepresentatives?\b", r"\breps?\b", r"\bemployees?\b",
        (r"\brude\w*", 3.0), (r"\bunprofessional\b", 3.0), r"\battitude\b", r"\byelled\b", r"\bshouted\b",
        r"\bcondescending\b", r"\bdisrespect\w*", r"\bcourier was\b", r"\bdriver\b",
        r"\b(?:she|he|they) (?:was|were) (?:so )?(?:kind|friendly|lovely|brilliant|helpful|amazing|nasty|mean)",
    ]),
    ("booking", "booking, website and app", 1.0, [
        r"\bbook(?:ed|ing|ings)?\b", r"\breservations?\b", r"\bwebsite\b", r"\bweb ?site\b", r"\bsite\b",
        r"\bapp\b", r"\bonline\b", r"\blog ?in\b", r"\blog(?:s|ged)? (?:me )?out\b", r"\bpasswords?\b",
        r"\baccount\b", r"\bcheck[- ]?in\b", r"\bcheckout\b", r"\bboarding pass\w*", r"\bconfirmation\b",
        r"\bitinerary\b", r"\berror\b", r"\bglitch\w*", r"\bcrash\w*", r"\bportal\b",
        r"\bform\b", r"\bchange (?:my |our |the )?(?:flight|order|seat|address|booking|ticket|slot)",
        r"\bmileage\b", r"\bmiles\b", r"\bpoints\b", r"\bloyalty\b", r"\bupgrade\w*", r"\bstandby\b", r"\bbumped\b",
        r"\bpay(?:ment)? page\b", r"\btic?ke?ts?\b", r"\btix\b", r"\bover-?(?:book|sold|sell)\w*", r"\bno longer available\b",
        r"\bpending\b", r"\bfare class\b", r"\bseat assignments?\b", r"\bpurchas\w*", r"\bbought\b", r"\bre-?book\w*", r"\bre-?schedul\w*", r"\bchange fee\b", r"\bapple pay\b", r"\bsign(?:ed)? up\b",
    ]),
    ("refund", "refunds and charges", 2.0, [
        r"\brefund\w*", r"\bcharg\w*", r"\bfees?\b", r"\bbill(?:ed|ing)?\b", r"\binvoices?\b",
        r"\bmoney back\b", r"\breimburs\w*", r"\bcompensat\w*", r"\bvouchers?\b", r"\bcredit card\b",
        r"\bovercharg\w*", r"\bdouble[- ]charg\w*", r"\bpaid (?:for|twice)\b", r"\bcredit\b", r"\bcash\b",
    ]),
    ("price", "prices", 1.0, [
        r"\bprices?\b", r"\bpric(?:ey|y|ing)\b", r"\bexpensive\b", r"\bcheap\w*", r"\bcosts?\b",
        r"\bfares?\b", r"\boverpriced\b", r"\brip[- ]?off\b", r"\bafford\w*", r"\bvalue for money\b",
    ]),
    ("aircraft", "aircraft and mechanical problems", 1.5, [
        r"\bmechanic\w*", r"\bmaintenance\b", r"\bengines?\b", r"\btires?\b", r"\blanding gear\b",
        r"\baircraft\b", r"\bequipment\b", r"\b(?:issue|problem)s? with the (?:plane|aircraft|engine)",
        r"\bunsafe\b", r"\bsafety\b", r"\bemergency\b", r"\bfaulty\b", r"\bdefect\w*", r"\bout of order\b",
    ]),
    ("comfort", "seats, food and comfort", 1.0, [
        r"\bseats?\b", r"\bseating\b", r"\blegroom\b", r"\bleg room\b", r"\bfood\b", r"\bmeals?\b",
        r"\bsnacks?\b", r"\bdrinks?\b", r"\bcoffee\b", r"\bwater\b", r"\bwi-?fi\b", r"\binternet\b",
        r"\bentertainment\b", r"\btv\b", r"\bmovies?\b", r"\bscreens?\b(?! ?shots?)", r"\bheadphones\b", r"\boutlets?\b",
        r"\bdirty\b", r"\bfilthy\b", r"\bsmell\w*", r"\bbathroom\b", r"\btoilet\b", r"\blavatory\b",
        r"\bcold\b", r"\bfreezing\b", r"\bhot\b", r"\bcramped\b", r"\buncomfortable\b", r"\bcomfort\w*",
        r"\boverhead\b", r"\bbins?\b", r"\bturbulence\b", r"\bfirst class\b", r"\bbusiness class\b",
        r"\beconomy\b", r"\bcabin\b", r"\bpillows?\b", r"\bblankets?\b", r"\bwindows?\b",
        # the flight itself, as a whole: what is left when nothing on the ground went wrong
        (r"\b(?:worst|horrible|horrific|terrible|awful|bad|rough|miserable|uncomfortable) (?:flight|flights|flying)\b", 2.0),
        (r"\bflight experience\b", 2.0), r"\bpressuri[sz]\w*", r"\bfilms?\b", r"\bon ?board\b", r"\bin-?flight\b",
        r"\bnoise\b", r"\bloud\b", r"\binedible\b", r"\bstale\b", r"\btvs\b", r"\bdirectv\b", r"\bpower\b",
        r"\bheat(?:ing)?\b", r"\bstuffy\b", r"\bac\b", r"\bcatering\b", r"\bpretzels\b", r"\bgalley\b", r"\bmenu\b", r"\bchicken\b", r"\bsandwich\w*", r"\bpeanuts?\b", r"\bfly(?:ing)? with\b", r"\bair ?con\w*", r"\bbroken (?:tv|screen|seat|outlet)",
    ]),
    ("delivery", "delivery and couriers", 1.5, [
        r"\bdeliver\w*", r"\bcouriers?\b", r"\bparcels?\b", r"\bpackages?\b", r"\bshipping\b", r"\bshipped\b",
        r"\bshipment\b", r"\bdispatch\w*", r"\btracking\b", r"\bdoorstep\b", r"\bporch\b", r"\bpost ?office\b",
        r"\bnever (?:arrived|came|showed up)\b", r"\bwrong (?:item|address|order)\b",
        r"\bmissing (?:items?|parts?|pieces?) (?:from|in)\b", r"\bitems? (?:is |was |were |are )?missing\b",
    ]),
    ("queues", "long queues", 1.5, [
        r"\b(?:long|huge|massive|endless) (?:line|lines|queue|queues)\b", r"\bqueu\w*", r"\bin line\b",
        r"\blines?\b(?<!phone line)(?<!phone lines)(?<!on the line)(?<!800 line)(?! (?:is |are |were |was )?(?:always |all )?busy)", r"\bline (?:at|for|to)\b", r"\bsecurity\b", r"\btsa\b", r"\bticket counter\b",
        r"\bcounter\b", r"\bkiosks?\b", r"\bwaiting in\b",
    ]),
    ("support", "customer service and getting through", 1.0, [
        # who names customer service complains about it, whatever happened first
        (r"\bcustomer (?:service|care|support|experience|relations)\b", 3.0), (r"\bcust(?:omer)? ?serv\w*", 3.0),
        (r"\bcs\b", 3.0), (r"\bcsr\b", 3.0),
        r"\bservice\b", r"\bsupport\b",
        r"\bhelp(?:ful|less|line)?\b", r"\bunhelpful\b", r"\bcomplain\w*", r"\bticket (?:number|open)",
        r"\bemail\w*", r"\be-mail\w*", r"\bdms?\b", r"\bdirect message\b", r"\bchat\w*", r"\bcall(?:ed|ing|s)?\b",
        r"\bphone\b", r"\bspoke (?:to|with)\b", r"\b(?:talk|speak) (?:to|with) (?:a |an )?(?:human|person|someone|manager|real)",
        r"\bhuman being\b",
        r"\bassist\w*", r"\bexperience\b", r"\bcustomers?\b", r"\bcare\b", r"\bletter\b",
        r"\bsupervisor\b", r"\bmanager\b", r"\bescalat\w*", r"\bresponse\b", r"\brespond\w*", r"\breply\b",
        r"\bfollow[- ]?up\b", r"\bexplanation\b", r"\bapolog\w*", r"\bsorry\b", r"\binformation\b",
        (r"\b(?:worst|terrible|awful|horrible|unacceptable|ridiculous|disappointed|disappointing|pathetic)\b", 0.3),
        r"\bupdates?\b", r"\bcommunicat\w*", r"\bresolv\w*", r"\bsorted\b", r"\bfix(?:ed)?\b",
        r"\bcontact\w*", r"\bmessag\w*", r"\banswers?\b", r"\bquestions?\b", r"\bfeedback\b", r"\baddressed\b",
        r"\bhandled\b", r"\bdealing with\b", r"\binconvenien\w*", r"\bnothing (?:was )?done\b", r"\buseless\b",
    ]),
]

# When a reply names both, the first is what it complains about and the second the context or the
# consequence: "cancelled, so I missed my meeting" is about the cancellation; "on hold for two hours
# to rebook my cancelled flight" is about not getting through.
OUTRANKS = {
    "hold": {"booking", "refund"},
    "cancellation": {"delay", "booking"},
    "damage": {"bags"},
    "crew": {"staff"},  # "a rude flight attendant" is about the crew
}

# Aspects scored apart (their phrases and precedence differ) but one theme for the people who read
# them: a customer on hold is complaining about customer service, and the human reasons we measure
# against do not separate them either.
FAMILY = {"hold": "support"}

LABELS = {key: label for key, label, _, _ in ASPECTS}


def _compile(weight, patterns):
    """One regular expression per distinct weight: [(weight, regex)].

    Every pattern starts at a word edge, so the edge and a look at the first letter are checked
    once per position before the alternatives are tried: the same matches, several times faster.
    """
    by_weight = {}
    for p in patterns:
        p, w = p if isinstance(p, tuple) else (p, weight)
        by_weight.setdefault(w, []).append(p)
    compiled = []
    for w, ps in by_weight.items():
        heads = [_heads(p) for p in ps]
        if all(p.startswith(r"\b") for p in ps) and None not in heads:
            first = "".join(sorted({h[0] for hs in heads for h in hs}))
            body = "|".join(f"(?:{p[2:]})" for p in ps)
            compiled.append((w, re.compile(rf"\b(?=[{first}])(?:{body})")))
        else:
            compiled.append((w, re.compile("|".join(f"(?:{p})" for p in ps))))
    return compiled


def _heads(pattern):
    """The literal text every match of `pattern` starts with (one per alternative), or None."""
    p = pattern.removeprefix(r"\b")
    if p.startswith("(?:"):
        end = p.index(")")
        alternatives = p[3:end].split("|")
        if "(" in p[3:end]:
            return None
    else:
        alternatives = [p]
    heads = []
    for alt in alternatives:
        head = re.match(r"[a-z' -]*", alt).group()
        if head and len(alt) > len(head) and alt[len(head)] in "?*{":
            head = head[:-1]  # its last character is optional
        letters = re.match(r"[a-z]*", head).group()
        if not letters:
            return None
        heads.append(letters[:3])
    return heads


_PATTERNS = [(key, _compile(weight, patterns)) for key, _, weight, patterns in ASPECTS]


def _index():
    """{word prefix: aspects a word starting with it can trigger}, and aspects that always run."""
    index, always = {}, set()
    for key, _, _, patterns in ASPECTS:
        for p in patterns:
            heads = _heads(p[0] if isinstance(p, tuple) else p)
            if heads is None:
                always.add(key)
            for head in heads or ():
                index.setdefault(head, set()).add(key)
    return index, always


_INDEX, _ALWAYS = _index()
_WORD = re.compile(r"[a-z]+")


def candidates(text):
    """Aspects that could match `text`: only their regular expressions need to run."""
    found = set(_ALWAYS)
    for word in set(_WORD.findall(text)):
        for n in (1, 2, 3):
            found |= _INDEX.get(word[:n], set())
    return found


def aspect_scores(text):
    """{aspect key: weight of its matches in `text`} for the aspects that match at all."""
    possible = candidates(text)
    scores = {}
    for key, weighted in _PATTERNS:
        if key in possible:
            score = sum(w * len(regex.findall(text)) for w, regex in weighted)
            if score:
                scores[key] = score
    return scores


def dominant(scores):
    """(key, weight) of the theme that wins among {aspect: weight}, or (None, 0).

    An aspect that another matched aspect outranks (OUTRANKS) is out of the running; of the rest
    the one with the most weight wins, a tie going to the one listed first.
    """
    beaten = set().union(*(OUTRANKS.get(key, ()) for key in scores)) if scores else set()
    best_key, best = None, 0.0
    for key, _, _, _ in ASPECTS:
        score = scores.get(key, 0.0)
        if key not in beaten and score > best:
            best_key, best = key, score
    return FAMILY.get(best_key, best_key), best


def clear_winner(scores, theme, margin=2.0):
    """True when `theme` (a family's key, as dominant() gives it) weighs at least `margin` times
    any other theme in {aspect: weight}.

    The theme, not merely the heaviest: an outranked aspect can weigh the most ("delayed,
    delayed again, then cancelled" is a cancellation), and such a reply is no clear example.
    """
    weights = Counter()
    for key, score in scores.items():
        weights[FAMILY.get(key, key)] += score
    return weights[theme] > 0 and all(weights[theme] >= margin * w for key, w in weights.items() if key != theme)
