"""The customer-service aspect lexicon: what people complain about or praise, in their own words.

Written by hand from general knowledge of customer-service conversations (airlines, shops,
delivery, subscriptions, banking, insurance, energy and water, telecoms, restaurants); nothing here
is extracted from any data set. Each aspect has a stable key (a theme's identity across weeks), a
short label people would say, and regular expressions for its phrase variants; words that name the
thing weigh more than its circumstances.
A reply's dominant aspect is the one with the most weight among those no other matched aspect
outranks (OUTRANKS: the problem, not its consequence); a tie goes to the aspect listed first (the
more specific ones are listed first). Some aspects are shown as one theme (FAMILY). The airline
aspects (bags, aircraft, crew, seats and comfort) read only words that are about them; a general
aspect takes an airline one's sense only where that is the question's subject (CONTEXT), and
where a question's replies are not about flying (FLYING_WORDS) the airline aspects' general words
take the sense other trades give them (GROUND); where they are, money counts half (AIRBORNE).

English only: replies in other languages are grouped by their own words (see theme_groups).
"""

import re
from collections import Counter

# lexicon-9: a bag that is lost, missing or awaited is the event, as a damaged one is (choice-1): "lost my bag, and
# customer service is useless" is about the bag. Its handling is told around it; the loss is told of the bag itself.
_BAG = r"(?:bags?|luggage|baggage|suitcases?|carry[- ]?ons?|stroller|car ?seat)"
_LOSS = (r"(?:lost|missing|misplaced|mishandled|left behind|not (?:found|located)|find|found|locate|located|track(?:ed|ing)?|"
         r"where(?:'s| is| are)|still (?:no|not|don'?t have|haven'?t)|haven'?t (?:got|gotten|received|seen)|"
         r"never (?:got|received|arrived|came|made it)|didn'?t (?:make it|arrive|come)|no sign of|waiting (?:for|on)|"
         r"wait(?:ed)? for|deliver\w*|return\w*|delay\w*|get|got)")
_BAG_LOST = [(rf"\b{_LOSS}\b(?:\W+\w+){{0,3}}?\W+{_BAG}\b", 1.0), (rf"\b{_BAG}\b(?:\W+\w+){{0,3}}?\W+{_LOSS}\b", 1.0)]

# "lost" and "missing" in another sense: a lost customer, missing a day of work, "lost £850 to a scam"
_LOST_SENSES = (r"(?! (?:a |my |our |your |their |another |all )?(?:customers?|business|loyalty|faith|trust|respect|money|"
                r"seat|day|days|time|hours?|miles|points|status|connection|voucher|patience|mind|sleep|job|income|deposit))"
                r"(?! ?[£$€\d])")
_MISSING_SENSES = (r"(?! (?:a |my |our |the |out |another )?(?:day|days|connect\w*|flights?|meetings?|work|appointments?|"
                   r"vacation|out|deadline))")

# (key, label, weight per match, patterns). Patterns are regular expressions over lower-cased
# text with URLs and @handles removed (\b marks word edges), or (pattern, own weight).
ASPECTS = [
    # an event that broke the thing or ended the plan is what the reply is about, even where it names customer
    # service (3) too: damage and cancellations weigh 3 and 4 (choice-1)
    ("damage", "damaged or broken items", 3.0, [
        r"\bdamag(?!e\b)\w*", r"\bdamage\b(?! (?:has been|is|was) done| control)", r"\bbroken (?:bag|suitcase|luggage|handle|wheel|item|parcel|box)",
        r"\b(?:smashed|crushed|ripped|torn|dented|cracked|shattered|squashed)\b",
        r"\bbroke (?:my |our |the |a )?(?:\w+ )?(?:bag|suitcase|luggage|handle|wheel|stroller|car ?seat)",
        r"\b(?:bag|suitcase|luggage) (?:was |is |got |came back )?(?:broken|ruined|destroyed|wet|soaked)",
        r"\bcontents (?:were |was )?(?:broken|ruined|smashed|damaged|soaked)",
    ]),
        # luggage only: what else is lost or missing is "missing", which joins bags where bags are the subject (CONTEXT)
    ("bags", "lost or delayed bags", 1.5, [
        r"\bbags?\b", r"\bbaggage\b", r"\bluggage\b", r"\bsuitcases?\b", r"\bcarry[- ]?ons?\b",
        r"\bchecked in (?:a |my |our )?bag", r"\bbag(?:gage)? claim\b", r"\bcarousel\b",
        r"\bstroller\b", r"\bcar ?seat\b", r"\bluggages\b", r"\bfile reference\b",
    ] + _BAG_LOST),
    ("missing", "missing or wrong items", 1.5, [
        (r"\blost\b" + _LOST_SENSES, 1.0), (r"\bmissing\b" + _MISSING_SENSES, 1.0), (r"\bwhere is (?:it|my)\b", 1.0),
        (r"\bwhere (?:it|they) (?:is|are)\b", 1.0), r"\blost (?:my |our )?(?:stuff|belongings)", r"\bbelongings\b",
        r"\bpossessions\b", r"\bproperty\b", r"\b(?:gone|went) missing\b", r"\bvanished\b", r"\bdisappeared\b",
        (r"\bmissing (?:items?|parts?|pieces?)\b", 2.0), (r"\bitems? (?:is |was |were |are )?missing\b", 2.0),
        r"\bwrong (?:item|items|order|size|colou?r|product|filling|one|thing)\b", r"\bsent (?:me )?the wrong\b",
        r"\bsubstitut\w*", r"\bnot what i ordered\b", r"\breport (?:was |has been )?filed\b",
    ]),
    ("claim", "claims and insurance", 1.5, [
        r"\binsur\w*", (r"\bclaims?\b", 1.0), r"\b(?:filed?|filing|submitted|made|make) a claim\b",
        r"\bclaim (?:number|ref\w*|form|rejected|denied|refused|declined|closed)", r"\bpay ?outs?\b", r"\bpaid out\b",
        r"\bloss adjuster\b", r"\bassessor\b", r"\bexcess\b", r"\b(?:not|isn'?t|wasn'?t|aren'?t) covered\b",
        r"\bpre-?existing\b", r"\bwritten off\b", r"\bwrite-?off\b",
    ]),
    ("contract", "contracts and subscriptions", 1.5, [
        r"\bcontracts?\b", r"\bsubscri\w*", r"\bmemberships?\b", r"\brenew\w*", r"\bauto-?renew\w*",
        r"\bexit fees?\b", r"\bearly termination\b", r"\bnotice period\b", r"\bminimum term\b", r"\brolling monthly\b",
        r"\bretention\b", (r"\bcancel(?:l?ing)? (?:my |the |our )?(?:contract|subscription|membership|account|plan|policy)", 2.0),
        r"\bsign(?:ed)? up\b", r"\bswitch(?:ed|ing)? (?:supplier|provider|network|bank|tariff)s?\b",
        r"\bswitch(?:ed|ing)? (?:to|from) (?:you|them|another (?:supplier|provider|network|bank))\b",
    ]),
    ("cancellation", "cancellations", 4.0, [
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
        (r"\bconnections?\b(?<!no connection)", 0.75), (r"\bcnxns?\b", 0.75), (r"\blayovers?\b", 0.75), (r"\bweather\b", 0.75), (r"\bsnow\b", 0.75),
        (r"\bstorms?\b", 0.75),
        r"\bsupposed to (?:board|depart|leave|take off|land|arrive|be (?:in|at|there|home))",
        r"\b(?:haven'?t|hasn'?t|not) (?:even )?(?:boarded|started boarding|left|departed|moved|taken off)",
        r"\bnew (?:eta|departure time)\b", r"\btime changes?\b", r"\bhold[- ]?up\b", r"\bno movement\b", r"\bwhen (?:will|are|do) (?:we|you|it|the plane) (?:leave|leaving|depart|board|take off|fly)", r"\bdiver(?:ted|ged)\b",
        r"\bpull(?:ed|ing)? away\b", (r"\b(?:get|getting|make it|go) home\b", 0.75),
        (r"\bmiss(?:ed|ing)? (?:a |another |a full )?(?:day|days) of (?:work|vacation)", 0.75),
    ]),
    ("outage", "outages and service down", 2.0, [
        r"\boutages?\b", r"\bpower ?cuts?\b", r"\bblackouts?\b", r"\b(?:power|supply|electricity|gas|water|internet|broadband) (?:was |were |got |been |has been |have been )?cut off\b",
        r"\bno (?:internet|broadband|signal|(?:mobile |phone |network )service|power|electric\w*|gas|water|hot water|heating|heat|phone line|landline|dial tone|network|connection|coverage|reception|bars)\b",
        r"\bwithout (?:a |any )?(?:working )?(?:internet|broadband|signal|power|electricity|gas|water|hot water|heating|heat|phone|landline|phone line)\b",
        r"\b(?:internet|broadband|signal|power|network|landline|connection|supply|water|heating|servers?|systems?) (?:is |was |has been |keeps |keeps on |went |goes |going |been |still )?(?:down|dead|dropping|cutting out|gone|off)\b",
        r"\b(?:down|dropped|dead) again\b(?<!call dropped again)(?<!calls dropped again)", r"\bstill (?:dead|down)\b", r"\brestored\b", r"\b(?:power|internet|broadband|water|heating|electricity|signal|supply)(?: is| was|'s)? back on\b",
        r"\bplanned (?:maintenance|works?|outage)\b", r"\b(?:server|network|essential|scheduled|emergency) (?:maintenance|works?)\b",
        r"\bdrops? (?:every|all|out)\b", r"\bkeeps? dropping\b(?<!call keeps dropping)(?<!call keep dropping)", r"\bbuffering\b", r"\bmbps\b",
        r"\bslow (?:internet|broadband|speeds?|connection|line|network|wifi)\b", r"\bsos only\b", r"\bone bar\b",
        r"\bboil (?:water|notice)\b", r"\bwater pressure\b", r"\bbrown water\b", r"\bdark\b(?<=in the dark)", r"\bleak\w*",
        r"\bburst (?:main|pipe|water)\b", r"\bradiators?\b",
        r"\b(?:reported|report|line|network) (?:a |the )?faults?\b", r"\bfaults? (?:reported|on the line|in the area)\b", (r"\bspeeds?\b", 1.0), (r"\bsupply\b", 1.0), (r"\bboiler\b", 1.0), (r"\bheating\b", 1.0),
        (r"\bhot water\b", 1.0), (r"\bmast\b", 1.0),
        # what is out, without saying it is out: it tips the balance only
        (r"\binternet\b", 0.75), (r"\bbroadband\b", 0.75), (r"\bsignal\b", 0.75), (r"\bnetwork\b", 0.75),
        (r"\bpower\b", 0.75), (r"\belectricity\b", 0.75), (r"\blandline\b", 0.75), (r"\bwater\b", 0.75),
    ]),
    ("hold", "on hold / can't get through", 1.5, [
        r"\bhold\b(?![- ]?up)(?! (?:my|our|the|a|his|her|their|that|this|your) (?:\w+ )?(?:connect\w*|flights?|planes?|gates?|doors?|seats?|reservations?|bookings?|rooms?|items?|orders?|money|funds|payments?))", r"\bhanging up\b", r"\bnot (?:taking|answering) (?:calls|the phone)", r"\bholding\b", r"\bhung up\b", r"\bhang up\b",
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
    ("appointment", "engineers and appointments", 1.5, [
        r"\bengineers?\b", r"\btechnicians?\b", r"\binstallers?\b", r"\binstall (?:date|day|appointment)", r"\bappointments?\b", r"\bno-?shows?\b",
        r"\b(?:didn'?t|never|did not|failed to) (?:turn|show) up\b", r"\b(?:nobody|no one|no-one) (?:came|come|turned up|showed up|has (?:come|been))\b",
        r"\b(?:time )?slots?\b", r"\bcall-?outs?\b", r"\bvisits?\b", r"\bwaiting in (?:for|all)\b",
        r"\b(?:took|take|taking|taken|booked) (?:a |the |half a )?(?:half )?day off\b", r"\bcontractors?\b",
    ]),
    ("crew", "flight attendants and crew", 2.0, [
        r"\bflight attendants?\b", r"\battendants?\b", r"\b(?:cabin |flight |air )?crew\b", r"\bstewardess\w*",
        r"\bsteward\b", r"\bpilots?\b", r"\bcaptain\b", r"\bcapt\b", r"\bfas\b", r"\bflight staff\b", r"\bpurser\b",
    ]),
    ("staff", "staff and agents", 1.5, [
        r"\bgate agents?\b", r"\bstaff\b", r"\bagents?\b", r"\brepresentatives?\b", r"\breps?\b", r"\bemployees?\b",
        (r"\brude\w*", 3.0), (r"\bunprofessional\b", 3.0), r"\battitude\b", r"\byelled\b", r"\bshouted\b",
        r"\bcondescending\b", r"\bdisrespect\w*", r"\bcourier was\b", (r"\bdrivers?\b", 1.0), r"\bassistants?\b", r"\bcashiers?\b",
        r"\badvis[oe]rs?\b", r"\bshrugged\b",
        r"\b(?:she|he|they) (?:was|were) (?:so )?(?:kind|friendly|lovely|brilliant|helpful|amazing|nasty|mean)",
    ]),
    ("booking", "bookings and reservations", 1.0, [
        r"\bbook(?:ed|ing|ings)?\b", r"\breservations?\b", r"\bcheck[- ]?in\b", r"\bboarding pass\w*", r"\bconfirmation\b",
        r"\bitinerary\b", r"\bchange (?:my |our |the )?(?:flight|seat|booking|ticket|slot)",
        r"\bmileage\b", r"\bmiles\b", r"\bpoints\b", r"\bloyalty\b", r"\bupgrade\w*", r"\bstandby\b", r"\bbumped\b",
        r"\btic?ke?ts?\b(?! (?:number|open))", r"\btix\b", r"\bover-?(?:book|sold|sell)\w*", r"\bno longer available\b",
        r"\bfare class\b", r"\bseat assignments?\b", r"\bpurchas\w*", r"\bre-?book\w*", r"\bre-?schedul\w*", r"\bchange fee\b",
        r"\btables?\b",
    ]),
    ("account", "account access and login", 1.5, [
        r"\blog ?in\b", r"\blog(?:s|ged)? (?:me )?out\b", r"\bpasswords?\b", r"\blocked (?:me )?out\b",
        r"\baccount (?:was |got |has been |is )?(?:locked|frozen|suspended|closed|restricted|blocked|hacked)",
        r"\bverif\w*", r"\bface ?id\b", r"\btwo[- ]factor\b", r"\bsecurity (?:code|questions?|check)", r"\bhacked\b",
        r"\b(?:no|can'?t|cannot) access\b", r"\breset (?:email|link|code)", (r"\baccounts?\b", 0.75),
    ]),
    ("app", "website and app", 1.0, [
        r"\bwebsite\w*", r"\bweb ?site\b", r"\bsite\b", r"\bapps?\b", r"\bonline\b(?<!back online)", r"\bportal\b",
        r"\berror\b", r"\bglitch\w*", r"\bcrash\w*", r"\bcheckout\b", r"\bpay(?:ment)? page\b", r"\bapple pay\b",
        r"\bform\b", r"\bsomething went wrong\b", r"\b(?:won'?t|doesn'?t|not|never) load(?:ing)?\b", r"\bloading\b",
        (r"\b(?:since|after|latest|new|last) (?:the |your |this )?(?:software |app )?update\b", 1.5), r"\bversions?\b", r"\bsync\w*", r"\bfeatures?\b",
        r"\bdownload\w*", r"\bupload\w*", r"\bnotifications?\b", r"\blagg?(?:y|ing|s)?\b", r"\bfreezes\b", r"\b(?:keeps|kept) freezing\b", r"\bbugs?\b", r"\bbuggy\b", r"\binterface\b",
    ]),
    ("payment", "payments, cards and transfers", 1.5, [
        r"\b(?:bank|money|instant|isa|international|wire) transfers?\b", r"\btransfers? (?:of|between|limit)\b", r"\b(?:debit|bank|virtual|new) card\b", r"\bcard\b(?<=my card)", r"\bcard (?:payment|details|machine)s?\b", r"\bdeclined\b",
        r"\bpayments? (?:failed|pending|declined|held|bounced)", r"\bpending\b", r"\bbalance\b", r"\bsalary\b",
        r"\bsort code\b", r"\bpayees?\b", r"\bscam\w*", r"\bfraud\w*", r"\bcash ?back\b", r"\bdeposit\w*", r"\bwithdraw\w*",
        r"\bmoney\b(?<=my money)(?! back)", r"\batm\b", r"\bcash\b", r"\boverdra\w*",
    ]),
    ("billing", "bills and charges", 2.0, [
        # what was charged for is what the reply is about ("charged $50 for my bag"): a charge only tips the balance
        (r"\b(?:sur)?charge[ds]?\b", 1.0), (r"\bcharging (?:me|us|people|customers|for)\b", 1.0), (r"\bfees?\b", 1.0),
        (r"\bpaid for\b", 1.0), r"\bcharged (?:me |us )?twice\b", r"\bpaid twice\b",
        r"\bbill(?:ed|ing|s)?\b", r"\binvoices?\b", r"\bovercharg\w*", r"\bdouble[- ]charg\w*", r"\bdirect debits?\b", r"\bcredit card\b", r"\bestimat(?:ed|es?) (?:bill|reading)s?\b",
        (r"\bmeter readings?\b", 1.0), (r"\bowe\b", 1.0),
    ]),
    ("refund", "refunds and compensation", 2.0, [
        r"\brefund\w*", r"\bmoney back\b", r"\breimburs\w*", r"\bcompensat\w*", r"\bvouchers?\b", r"\bcredit\b",
    ]),
    ("price", "prices", 1.0, [
        r"\bprices?\b", r"\bpric(?:ey|y|ing)\b", r"\bexpensive\b", r"\bcheap\w*", r"\bcosts?\b",
        r"\bfares?\b", r"\boverpriced\b", r"\brip[- ]?off\b", r"\bafford\w*", r"\bvalue for money\b",
        r"\btariffs?\b", r"\bquote\b", r"\bshrinkflation\b", (r"\b(?:interest|unit) rates?\b", 1.5),
        # a price going up is named as such
        (r"\b(?:prices?|rates?|tariffs?|premiums?|costs?|fares?|subscriptions?) (?:is |are |has |have )?(?:going |went |gone |goes |been put |put )up\b", 2.0),
        (r"\bput (?:the |my |our |your |their )?(?:prices?|rates?|unit rate|tariffs?|premiums?) up\b", 2.0),
        (r"\b(?:price|rate|tariff|premium) (?:rises?|increases?|hikes?)\b", 2.0), r"\bincreas\w*", (r"\bmore expensive\b", 2.0),
        r"\b(?:paying|pay) more\b", (r"\bloyalty penalty\b", 2.0),
    ]),
    ("aircraft", "aircraft and mechanical problems", 1.5, [
        r"\bmechanic\w*", r"\bmaintenance\b(?<!planned maintenance)(?<!server maintenance)(?<!network maintenance)(?<!essential maintenance)(?<!scheduled maintenance)(?<!emergency maintenance)",
        r"\bengines?\b", r"\btires?\b", r"\blanding gear\b",
        r"\baircraft\b", r"\bequipment\b", r"\b(?:issue|problem)s? with the (?:plane|aircraft|engine)",
        r"\bunsafe\b", r"\bsafety\b", r"\bemergency landing\b",
    ]),
    ("quality", "faulty or poor quality", 1.5, [
        r"\bfaulty\b", r"\bdefect\w*", r"\bout of order\b", (r"\bbr(?:oke|oken)\b", 1.0), r"\bstopped working\b",
        r"\bfell apart\b", r"\bfalling apart\b", r"\bquality\b", r"\bcheaply made\b", r"\bshoddy\b", r"\bflimsy\b",
        r"\bbricked\b", r"\bdead on arrival\b", r"\bsame fault\b", r"\bflicker\w*", r"\bshr[ua]nk\b", r"\bwarranty\b",
        r"\bdirty\b", r"\bfilthy\b", r"\bsmell\w*", r"\bstain\w*", r"\bsiz(?:e|es|ing)\b", r"\bpeeled\b",
        (r"\b(?:doesn'?t|don'?t|won'?t|isn'?t|not) (?:even )?(?:work|working|turn on)\b", 0.75),
    ]),
    ("comfort", "seats, food and comfort", 1.0, [
        r"\bseats?\b", r"\bseating\b", r"\blegroom\b", r"\bleg room\b", r"\bwi-?fi\b",
        r"\bentertainment\b", r"\bmovies?\b", r"\bscreens?\b(?! ?shots?)", r"\bheadphones\b", r"\boutlets?\b",
        r"\bbathroom\b", r"\btoilet\b", r"\blavatory\b",
        r"\b(?:plane|cabin|aircraft|flight) (?:is |was )?(?:so )?(?:cold|hot|freezing|stuffy|warm)\b", r"\bfreezing (?:on|in) the\b",
        r"\bcramped\b", r"\buncomfortable\b", r"\bcomfort\w*",
        r"\boverhead\b", r"\bbins?\b", r"\bturbulence\b", r"\bfirst class\b", r"\bbusiness class\b",
        r"\beconomy\b", r"\bcabin\b", r"\bpillows?\b", r"\bblankets?\b", r"\bwindows?\b",
        # the flight itself, as a whole: what is left when nothing on the ground went wrong
        (r"\b(?:worst|horrible|horrific|terrible|awful|bad|rough|miserable|uncomfortable) (?:flight|flights|flying)\b", 2.0),
        (r"\bflight experience\b", 2.0), r"\bpressuri[sz]\w*", r"\bfilms?\b", r"\bon ?board\b", r"\bin-?flight\b",
        r"\bnoise\b(?<!line noise)", r"\bloud\b", r"\btvs?\b", r"\bdirectv\b",
        r"\bstuffy\b", r"\bac\b", r"\bgalley\b", r"\bpretzels\b", r"\bpeanuts?\b", r"\bfly(?:ing)? with\b", r"\bair ?con\w*", r"\bbroken (?:tv|screen|seat|outlet)",
    ]),
    # a venue's seats, toilets and air: the comfort aspect's general words where no one is flying (GROUND)
    ("facilities", "comfort and facilities", 1.0, []),
    ("food", "food and drink", 1.0, [
        r"\bfood\b", r"\bmeals?\b", r"\bsnacks?\b", r"\bdrinks?\b", r"\bcoffee\b", r"\bmenu\b", r"\bchicken\b", r"\bsandwich\w*",
        r"\bcatering\b", r"\binedible\b", r"\bstale\b", r"\blatte\b", r"\bburgers?\b", r"\bpizzas?\b", r"\bfries\b", r"\bportions?\b",
        r"\braw\b", r"\bundercooked\b", r"\bsoggy\b", r"\btast(?:e|es|ed|eless|y)\b", r"\blukewarm\b", r"\bhair in\b",
        (r"\bfood poisoning\b", 2.0), r"\ballerg\w*", r"\bcold (?:food|again)\b", r"\barrived cold\b",
    ]),
    ("delivery", "delivery and couriers", 1.5, [
        r"\bdeliver\w*", r"\bcouriers?\b", r"\bparcels?\b", r"\bpackages?\b(?<!basic package)(?<!premium package)", r"\bshipping\b", r"\bshipped\b",
        r"\bshipment\b", r"\bdispatch\w*", r"\btracking\b", r"\bdoorstep\b", r"\bporch\b", r"\bpost ?office\b",
        r"\bnever (?:arrived|came|showed up)\b", r"\bwrong address\b", r"\btransit\b(?<=in transit)", r"\bdepot\b", r"\blockers?\b",
        r"\bmissed you\b", r"\bsafe place\b", r"\bsigned[- ]for\b", r"\bsorting office\b", r"\bpost(?:al|box|ie|ies|man|men)\b",
        r"\bno (?:post|mail)\b", r"\bleft (?:it |my parcel |the parcel )?(?:with|at|on|outside)\b",
        r"\bclick (?:and|&) collect\b", r"\blead times?\b", r"\b(?:threw|thrown|chucked|tossed)\b",
        r"\border (?:hasn'?t|has not|never|still|is still|isn'?t|didn'?t|did not) (?:arrived|come|turned up|here|shown up)",
    ]),
    ("queues", "long queues", 1.5, [
        r"\b(?:long|huge|massive|endless) (?:line|lines|queue|queues)\b", r"\bqueu\w*", r"\bin line\b",
        r"\blines?\b(?<!phone line)(?<!phone lines)(?<!on the line)(?<!800 line)(?<!second line)(?<!slow line)(?<!mb line)(?<!fibre line)"
        r"(?! (?:is |are |were |was |has been )?(?:always |all |still )?(?:busy|dead|down|working|noise|rental|crackl\w*))",
        r"\bline (?:at|for|to)\b", r"\bsecurity\b", r"\btsa\b", r"\bticket counter\b",
        r"\bcounter\b", r"\bkiosks?\b", r"\bwaiting in\b(?! (?:for|all))",
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
    "hold": {"booking", "refund", "billing"},
    "cancellation": {"delay", "booking"},
    "damage": {"bags", "delivery", "quality"},
    "bags": {"delivery"},  # lexicon-9: an airline delivers the bag it lost or delayed; the bag is the complaint
    "missing": {"delivery"},
    "claim": {"damage", "missing", "delay"},
    "contract": {"cancellation"},
    "appointment": {"delay", "booking"},
    "crew": {"staff"},  # "a rude flight attendant" is about the crew
}

# Where nobody flies, the money is what the customer chases (lexicon-8): "the refund for the cancelled show"
# is about the refund, not the cancellation it is for; "refund request sent 3 weeks ago, no reply" and
# "charged twice and no answer" are weighed against the silence around them, not given to it. Where people
# fly, the crowd gives a refund for a cancelled flight to the cancellation and a fee to the trip
# (choice-1), and that reading stays.
GROUND_OUTRANKS = OUTRANKS | {"hold": {"booking"}, "refund": {"cancellation"}, "bags": set()}  # a shop delivers suitcases

# Aspects scored apart (their phrases and precedence differ) but one theme for the people who read
# them: a customer on hold is complaining about customer service, and the human reasons we measure
# against do not separate them either.
FAMILY = {"hold": "support"}

# A general aspect that takes the sense of a specific one where the specific one is the subject:
# where a question's replies name bags at least as often as they say something is missing, what is
# "lost" is a bag; where they name seats and the cabin at least as often as food, the food is the
# flight's. Elsewhere (a bank's "missing £300", a shop's faulty lamp) they stay themes of their own.
CONTEXT = {"missing": "bags", "claim": "bags", "food": "comfort", "quality": "comfort", "outage": "comfort", "app": "booking",
           "account": "booking"}

# Where an aspect has too few replies to be a theme of its own, its replies join the broader theme it is
# part of (lexicon-8): a login is part of the website and app; a payment, a price, a contract or a refund
# part of what people are billed; a damaged item part of what arrived wrong; and so on up the chain until
# a theme is big enough. Small questions (a Reddit thread of 40 comments) need it most.
BROADER = {"account": "app", "payment": "billing", "price": "billing", "contract": "billing", "refund": "billing",
           "claim": "refund", "damage": "missing", "missing": "delivery", "facilities": "quality", "food": "quality",
           "queues": "delay", "staff": "support"}

# The label of a specific aspect that general ones joined, where it differs: an airline's website
# and app are part of booking.
JOINED_LABELS = {"booking": "booking, website and app"}

LABELS = {key: label for key, label, _, _ in ASPECTS}

# Words only air travel uses, written from general knowledge. A question's replies are about flying
# when FLYING_SHARE of them use one: on an airline's questions 43-46 % do, on other brands' none, and
# a hotel or a travel agent whose customers mention their flight now and then stays under a tenth.
FLYING_WORDS = re.compile(
    r"\b(?:flights?|flew|flown|flying|(?:air|aero)?planes?|airlines?|airways|airports?|aircraft|"
    r"boarding (?:pass|gate|group)\w*|gate agents?|pilots?|cabin crew|flight attendants?|layovers?|tsa|"
    r"carry[- ]?ons?|checked bags?|overhead bins?|baggage claim|legroom|tarmac|runways?|jet ?bridge|jetway|"
    r"frequent flyers?|deplan\w*|in-?flight|take ?off|landing gear|air travel|cockpit)\b")
FLYING_SHARE = 0.10

# The airline aspects' words that other trades use too: where a question's replies are not about
# flying, a garage's engine and a gym's equipment are faulty things, a cinema's seats and toilets
# its comfort and facilities, a grocery's bags nothing; and (lexicon-10) an outage's words for a service
# that works but badly are its poor quality. {aspect: {where they go (None: they do not count): [its
# patterns, as written in ASPECTS]}}. Words only flying uses stay where they are.
GROUND = {
    "aircraft": {
        "quality": [r"\bmechanic\w*", r"\bengines?\b", r"\btires?\b", r"\bequipment\b", r"\bunsafe\b",
                    r"\bmaintenance\b(?<!planned maintenance)(?<!server maintenance)(?<!network maintenance)"
                    r"(?<!essential maintenance)(?<!scheduled maintenance)(?<!emergency maintenance)"],
        None: [r"\bsafety\b"],
    },
    "comfort": {
        "facilities": [r"\bseats?\b", r"\bseating\b", r"\bscreens?\b(?! ?shots?)", r"\bbathroom\b", r"\btoilet\b",
                       r"\bfreezing (?:on|in) the\b", r"\bcramped\b", r"\buncomfortable\b", r"\bcomfort\w*",
                       r"\bfirst class\b", r"\bbusiness class\b", r"\bpillows?\b", r"\bblankets?\b",
                       r"\bnoise\b(?<!line noise)", r"\bloud\b", r"\bstuffy\b", r"\bac\b", r"\bair ?con\w*"],
        "outage": [r"\bwi-?fi\b"],  # a broadband customer's wifi is the service; a venue's is down or not
        "quality": [r"\bbroken (?:tv|screen|seat|outlet)"],
        "food": [r"\bpretzels\b", r"\bpeanuts?\b"],
        None: [r"\bentertainment\b", r"\bmovies?\b", r"\bheadphones\b", r"\boutlets?\b", r"\boverhead\b",
               r"\bbins?\b", r"\beconomy\b", r"\bcabin\b", r"\bwindows?\b", r"\bpressuri[sz]\w*", r"\bfilms?\b",
               r"\bon ?board\b", r"\btvs?\b", r"\bdirectv\b"],
    },
    "bags": {None: [r"\bbags?\b", r"\bstroller\b", r"\bcar ?seat\b", r"\bfile reference\b"] + [p for p, _ in _BAG_LOST]},
    # lexicon-10: a service that works, but badly (slow, buffering, one bar, a trickle, brown water), is poor quality,
    # not an outage: down is down, slow is poor
    "outage": {"quality": [r"\bbuffering\b", r"\bmbps\b", r"\bslow (?:internet|broadband|speeds?|connection|line|network|wifi)\b",
                           r"\bone bar\b", r"\bwater pressure\b", r"\bbrown water\b", r"\bspeeds?\b"]},
    "crew": {
        "staff": [r"\battendants?\b", r"\b(?:cabin |flight |air )?crew\b", r"\bsteward\b"],
        None: [r"\bpilots?\b", r"\bcaptain\b", r"\bcapt\b", r"\bfas\b"],
    },
}

# How customers of brands that do not fly word their complaints (lexicon-6): devices and software
# updates, orders and tracking, plans and trials, prices quoted in money, things that do not close,
# lock or fit, waits counted in minutes and days. Written from general customer-service knowledge
# and read only where a question's replies are not about flying: the airline reading was tuned on
# its own and does not change. {aspect: [patterns, as in ASPECTS]}, added to the aspect's own; a
# pattern the aspect has already is read with the weight given here instead.
OTHER_TRADES = {
    "damage": [
        r"\bscratch(?:ed|es)\b", r"\bsnapped\b", r"\bbent\b", r"\bdent(?:s|ed)?\b", r"\bchipped\b",
        (r"\b(?:arrived|came|turned up|delivered) (?:\w+ ){0,3}(?:broken|damaged|cracked|snapped|scratched|bent|crushed|smashed|warm|leaking)", 2.0),
        (r"\b(?:arrived|came|turned up) with (?:a |an )?(?:\w+ ){0,2}(?:crack|cracked|dent|split|hole|snapped|broken|ripped|scratch)\w*", 2.0),
    ],
    "missing": [
        r"\b(?:gave|sent|got) (?:me |us |my \w+ )?the wrong\b", r"\bwrong (?:strength|dose|medication|medicine|prescription|model|version)\b",
        r"\bno (?:cutlery|napkins|sauce|straws?|receipt|instructions|pedals|charger|cable|remote)\b", r"\bcan'?t find (?:it|my|them)\b",
        # lexicon-7: what the box or the order came without
        r"\b(?:arrived|came|turned up) (?:with )?(?:no|without)\b", r"\bnone of (?:them|it|the)\b", r"\bonly (?:the|half) (?:\w+ )?(?:case|box|order)\b",
        (r"\bordered\b[^.!?]{0,40}\bgot\b", 2.0),  # "ordered the 45mm and got a 41mm", "ordered 3, got 1"
        (r"\bonly (?:one|two|three|four|half|\d+)\b(?: \w+){0,2} (?:arrived|turned up|came|inside|in the box)\b", 2.0),
        # lexicon-10: an order counted short ("came with 4 of the 6 pastries", "12 items ordered, 7 arrived", "box 2 of 2 never came")
        (r"\b(?:came|arrived|turned up|delivered) with (?:only )?(?:\d+|one|two|three|four|five) (?:\w+ ){0,3}?(?:of the|instead of)\b", 2.0),
        (r"\bitems? ordered\W+(?:only |but )?(?:\d+|one|two|three|four|five|six) (?:arrived|came|turned up|delivered)\b", 2.0),
        (r"\b(?:box|parcel|bag|part) \d+ of \d+ (?:never|didn'?t|did not|is missing|was missing|missing)\b", 2.0),
        (r"\b(?:one|two|three|some|half|part) of (?:my|the|our) (?:order|items|boxes|parcels|bags) (?:never|didn'?t|did not|(?:is|are|was|were) missing)\b", 2.0),
    ],
    "contract": [
        (r"\b(?:hard|impossible|difficult|easy) to cancel\b", 2.0), (r"\b(?:can'?t|cannot|won'?t let me) cancel\b", 2.0),
        r"\b(?:free )?trials?\b", r"\b(?:annual|monthly|family|student|premium|basic|data|pro) (?:plan|tier|membership|pass)\b",
        r"\btiers?\b", r"\bfair use\b", r"\bcover\b(?! (?:charge|letter))", r"\bpolicy\b", r"\bterms\b",
        r"\b(?:lock(?:ed)?[- ]in|tie[d]? in)\b", r"\bupgrad(?:e|ed|ing) (?:me|my|to)\b", r"\bdowngrad\w*",
    ],
    "delay": [
        (r"\b(?:\d+|two|three|four|five|six|several|many) (?:mins?|minutes|hours?|hrs?|days|weeks|months) (?:wait|late|behind|overdue|and counting)\b", 1.25),
        (r"\b(?:waited|waiting|wait) (?:over |nearly |almost |about |for )?(?:an? |\d+ ?)(?:hour|hours|hrs?|min|mins|minutes|days|weeks|months)\b", 1.25),
        (r"\btook (?:over |nearly |almost )?(?:\d+|two|three|four|five|six) (?:days|weeks|months)\b", 1.25),
        (r"\btakes? (?:\d+|two|three|four|five|six) (?:days|weeks|months)\b", 1.5), r"\bhow long\b",
        r"\b(?:meant|supposed|due|promised) to (?:arrive|come|leave|start|open|be ready|be here|be delivered)\b", r"\bdue (?:on|by)\b",
        (r"\bwaited\b", 0.75), r"\bkeeps? (?:moving|changing|slipping|getting pushed)\b", r"\bstill not (?:ready|done|fixed|open)\b",
        r"\b(?:ready|done|fixed|open) (?:till|until) \d", r"\bturned up (?:together|late)\b",
        # lexicon-7: a wait counted in days ("day 11", "still waiting"), an awaited part or update
        (r"\bday \d+\b", 0.75), (r"\bstill waiting\b(?! (?:for|on) (?:a |an |that |the |my |your )?(?:call ?back|reply|response|call|answer|email))", 1.25), (r"\bawaiting\b", 1.25),
        r"\bsupposed to (?:drop|ship|be out|release|launch)\b", r"\b(?:still|never) (?:came|come) back\b",
        # a promised date long gone: "promised for spring. its november", "its now Q4", "it's the 27th"
        r"\bpromised (?:for|by|in|on|within)\b",
        r"\b(?:it'?s|its) (?:now |nearly |already )?(?:january|february|march|april|june|july|august|september|october|november|december|q[1-4]|the \d+(?:st|nd|rd|th)\b(?! \w))\b",
        # lexicon-8: how long ago it started ("10 days ago", "3 weeks now"), a circumstance that tips the balance;
        # "is it ever going to leave"
        (r"\b(?:days|weeks|months) (?:ago|now)\b", 0.75),
        r"\bever going to (?:leave|arrive|come|turn up|ship|open|be (?:ready|here|done|fixed))\b",
    ],
    "outage": [
        r"\bservers?\b", r"\b(?:site|website|app|service|system|portal|chargers?|machines?|readers?)(?:'s| is| was| has been| been| are| were)? (?:\w+ )?(?:down|offline|out of service)\b",
        r"\boffline\b(?! (?:mode|viewing|downloads?|access|maps?|play))", r"\bout of service\b",
        # lexicon-7: "down" said alone ("is it down?", "down again", "down for 2 hrs"), status pages
        r"\b(?:is (?:it|\w+)|all|everything|it'?s|its|still|went|goes|gone|it|site|app|service) down\b", r"\bdown ?\?",
        r"\bdown (?:for|since|again|in|everywhere|all)\b", r"\bstatus page\b",
        r"\b(?:stream|connection|server|service|call)s? (?:keeps |kept )?(?:died|dies|dropp(?:ed|ing)|cuts? out|cut out|went down|goes down)\b",
    ],
    "app": [
        r"\bupdates?\b(?<=the update)", r"\bupdate (?:broke|removed|moved|replaced|changed|deleted|wiped|killed)\b", r"\bfirmware\b",
        r"\bbuttons?\b", r"\bsearch\b", r"\b(?:new |old )?design\b", r"\b(?:404|500)\b", r"\berror (?:\d+|code|message)\b",
        r"\b(?:won'?t|doesn'?t|don'?t|didn'?t|not) (?:load|launch|open|sync|save|upload|download|play)\b", r"\bscreens? (?:freez|went black)\w*",
        r"\bblack screen\b", r"\b(?:deleted|wiped|reset|vanished) (?:all |my |our )?\w+",
        r"\bprogress\b", r"\boffline mode\b",
        r"\bmarks? (?:me |my \w+ |the (?:correct |right )?answer )?(?:as )?(?:wrong|incorrect)\b",
        r"\be-?sim\b", r"\bbanned\b", r"\bsuspended\b", r"\bcard (?:details|reader)\b",
        # lexicon-8: what an update broke ("since the v14.2 update"), data gone from the app
        (r"\b(?:since|after) (?:the |your |this |that |every |each )?(?:[\w.]+ )?update\b", 1.5), (r"\bevery update\b", 1.5),
        r"\b(?:files?|photos?|pictures?|data|folders?|notes?|history|playlists?|progress|saves?|settings|messages) (?:\w+ ){0,3}(?:are |is |were |was )?(?:just |all )?(?:gone|empty|missing|lost)\b",
    ],
    "billing": [
        # a charge or a fee names billing where no one is flying ("charged $50 for my bag" is an airline's)
        (r"\b(?:sur)?charge[ds]?\b", 2.0), (r"\bfees?\b", 2.0), r"\b(?:took|taken|charged) (?:my |the |me )?(?:\w+ )?(?:twice|again)\b",
        (r"\breceipts?\b", 1.0), r"\bdebt\b", r"\bstatements?\b", r"\bran up\b", r"\bpremium (?:sms|numbers?|rate)\b",
        r"\b(?:admin|booking|service|cleaning|transaction|redelivery|late|cancellation) fees?\b", r"\bnever (?:took|ordered|used|signed up)\b",
        (r"\bmeters?\b", 1.0), r"\bdiscounts?\b", r"\bpay [£$€]\d",
    ],
    "refund": [
        r"\b(?:want|get|need|getting) (?:it|that|my money|the difference|the money)(?: \w+)? back\b", r"\bthe difference\b",
        r"\bgoodwill\b", r"\b(?:still )?owe (?:me|us)\b",
    ],
    "price": [
        (r"[£$€]\d[\d,.]*(?:p| ?(?:a|per) (?:month|year|night|week))? (?:for|a|per|on)\b", 0.75), r"\b\d+ ?(?:quid|bucks|dollars|pounds)\b",
        r"\bgreedy\b", (r"[£$€]\d", 0.5), r"\brobbery\b", r"\bup \d+ ?%", r"\b(?:price|rate) (?:freeze|match|guarantee)\b", r"\bcheaper\b",
        r"\bpaying (?:£|\$|more|less|extra)\b", r"\bnot paying\b", r"\bworth (?:it|the money)\b",
        r"\b(?:pricing|prices?) (?:changed|went up)\b", r"\bvaluation\b",
        (r"\b(?:raised|raising|hiked|hiking|increased|put up) (?:the |your |their |its |our |my )?(?:prices?|rates?|fees?|subscriptions?|premiums?)\b", 2.0),
        (r"\bwent (?:up )?from [£$€]?\d[\d,.]* to [£$€]?\d", 2.0),  # lexicon-8: "went from 950 to 1200"
    ],
    "quality": [
        r"\bbatter(?:y|ies)\b", r"\bmelted\b", r"\bstick drift\b", r"\bdrift\b", r"\boverheat\w*", r"\bsplit\b",
        r"\bmou?ld\w*", r"\bdamp\b", r"\bmice\b", r"\bants\b", r"\bpests?\b", r"\bcockroach\w*", r"\bbed ?bugs?\b", r"\brotting\b",
        r"\b(?:doesn'?t|don'?t|won'?t|didn'?t|does not|do not|will not|did not) (?:close|lock|open|fit|recline|charge|heat|drain|flush|stay)\b",
        r"\bnothing like (?:the |what )?(?:website|picture|photos?|description|listing|advert|ad)\b", r"\bnothing like\b",
        r"\bnot as (?:described|advertised|pictured|shown)\b", r"\bmisleading\b",
        r"\bout of sync\b", r"\bsubtitles\b", r"\baudio\b", r"\bsound\b",
        r"\b(?:overcrowded|crowded)\b", r"\bstanding room\b", r"\bsardines\b", r"\brefurbished\b", r"\bold\b(?<=so old)", r"\bworn\b",
        r"\bwarning light\b", r"\bbroke (?:down|again|after)\b", r"\bfell (?:out|off|apart)\b", r"\bpeeling\b",
        r"\bpoor\b", r"\ba mess\b", r"\bnot fit for purpose\b", r"\bun(?:usable|watchable|playable|wearable)\b", r"\brubbish\b",
        r"\bleaking\b",
        # lexicon-7: a thing that misbehaves on its own, got worse, runs hot, came loose
        r"\b(?:on (?:its|their) own|by (?:itself|themselves))\b", r"\b(?:got|gets|sounds?|looks?) worse\b", r"\bworse (?:than|since)\b",
        r"\bloose\b", r"\b(?:gets?|runs?|getting) (?:so |really |very )?hot\b", r"\bgarbage\b", r"\bbuilt to break\b",
        # lexicon-8: a device that does not recognise, connect or hold a charge; the third one in a year
        r"\b(?:doesn'?t|does not|won'?t|can'?t) (?:recogni[sz]e|detect|connect|pair|hold a charge)\b",
        r"\b(?:second|third|fourth|fifth) (?:\w+ )?(?:in|this) (?:\d+|a|one|two|three|six) ?(?:days?|weeks?|months?|years?)\b",
        # lexicon-10: a service that works, but badly (with GROUND's buffering, speeds, one bar, water pressure)
        r"\bpixelat\w*", r"\bstutter\w*", r"\bchoppy\b", r"\bcrackl\w*", r"\btrickle\b", r"\bdead zones?\b",
        r"\b(?:so|too|really|very|painfully|unbearably) slow\b",
        # lexicon-10: a thing that gave out too soon: "after one wash", "8 months old and", "out of the box", "lasted 11 minutes"
        r"\bafter (?:one|1|a|the first|two|2|three|3|a few) (?:wash|washes|wear|wears|use|uses|session|sessions|ride|rides|charge|charges|week|weeks|month|months)\b",
        r"\b(?:months?|weeks?)[- ]old\b", r"\bsince day one\b", r"\bout of the box\b", r"\blasted (?:until|less than|barely|(?:about |only |just )?(?:\d+|one|two|a) (?:minutes?|mins?|hours?|days?|weeks?|washes|uses))\b",
        r"\bwithin (?:a|one|two|\d+) (?:days?|weeks?|months?) of (?:opening|buying|use|using|delivery|purchase)\b",
        # lexicon-10: a thing that squeals, rattles or creaks; food that smells off or is past its date
        r"\bsqueak\w*", r"\bsqueal\w*", r"\brattl\w*", r"\bcreak\w*", r"\bclunk\w*", r"\bgrinding\b", r"\bcoil whine\b",
        r"\b(?:smell|smells|smelled|smelt|taste|tastes|tasted) off\b", r"\bbest before\b", r"\buse[- ]by\b", r"\bpast its (?:use|sell|best)\b",
        r"\brock hard\b", r"\bmushy\b", r"\bslim(?:e|y)\b", r"\bfrozen in the middle\b", r"\bwent (?:brown|green|mouldy|moldy|bad)\b",
    ],
    "delivery": [
        r"\border (?:no\.? |number |ref\w* |#)?#?[a-z]*-?\d{3,}", r"\bordered\b", r"\bredeliver\w*", r"\bpreorder\w*", r"\bpre-order\w*",
        r"\b(?:hasn'?t|has not|haven'?t|have not|didn'?t|did not|never|still not|not) (?:\w+ )?(?:arrived|come|turned up|been (?:sent|dispatched|shipped))\b",
        r"\b(?:to|will) arrive\b", r"\bprocessing\b", r"\bto ship\b", r"\bposted\b", r"\bforwarding\b",
        r"\bin the post\b", r"\bmail\b", r"\bcollect(?:ed|ion)?\b", r"\b(?:delivery|arrival) (?:date|window|slot)s?\b",
        (r"\bstill not here\b", 2.0), r"\bwhere's (?:it|my)\b",
    ],
    "appointment": [
        # lexicon-10: turning up for a booked time to find no one expects you
        r"\bno show\b", r"\bno record of\b", r"\b(?:don'?t|didn'?t|did not|do not) have (?:me|you|us) (?:down|in the system|booked)\b",
        r"\bhad (?:me|us) down\b", r"\b(?:turned|showed) up (?:for|at) (?:my|our|the) (?:\d|appointment|slot|booking)",
    ],
    "staff": [
        r"\breceptionists?\b", r"\bsales ?(?:m[ae]n|person|people|guy|team|reps?|assistants?)\b", r"\bushers?\b", r"\bguards?\b",
        r"\bconductors?\b", r"\b(?:personal )?trainers?\b", r"\binstructors?\b", r"\btutors?\b", r"\bteachers?\b", r"\blecturers?\b",
        r"\bplumbers?\b", r"\belectricians?\b", r"\bbuilders?\b", r"\bmovers\b", r"\bfront desk\b", r"\bhosts?\b",
        r"\b(?:the |a |one )?(?:guy|man|woman|lady|lads|bloke) (?:came|turned up|said|told|just|who)\b", r"\btalked down\b", r"\brolled (?:her|his|their) eyes\b",
        # lexicon-10: who served or handled the customer, by their trade's name, and how they treated them
        (r"\b(?:stylists?|baristas?|pharmacists?|waiters?|waitress\w*|bartenders?|concierge|surveyors?|(?:claims? |call )?handlers?|inspectors?|"
         r"(?:product |retention )?specialists?|the (?:person|man|woman|lady|guy|girl|bloke) (?:on|at|behind) the)\b", 1.0),
        r"\b(?:talk(?:ed|s|ing)? over me|laughed at (?:me|him|her|us|my)|called me a|snapped at|patroni[sz]\w*|sarcastic|"
        r"(?:on|scrolling) (?:his|her|their) phone the whole time)\b",
    ],
    "hold": [
        r"\bvoicemail\b", r"\bghosted\b", r"\bqueue position\b", r"\bposition \d+", r"\bnumber \d+ in the queue\b",
        r"\bget back to (?:me|us)\b", r"\bchatbot\b", r"\bcase (?:number |ref\w* |#)?#?[a-z]*-?\d{3,}",
        r"\bticket (?:#|no\.? )?\d{3,}", r"\bstill nothing\b", r"\bplease advise\b", r"\bis (?:there )?(?:a human|anyone)\b",
        # lexicon-7: a support ticket raised, and the answer that never came
        r"\b(?:opened|raised|submitted|logged|support|open) (?:a |the )?tickets?\b", r"\bthanks for nothing\b", r"\bcanned (?:reply|response|answer)\b",
        # lexicon-8: calling out into silence ("hello?? anyone??"), an answer pasted again and again
        r"\bhello\?+", r"\banyone\?{2,}", r"\bcopy[- ]?(?:and[- ])?paste\w*",
    ],
    "support": [
        # lexicon-8: where nobody flies, "fix", "help", "update" and "service" alone ask for the product to work
        # (the service is the thing sold: a stream, a bus); they tip the balance, they do not name customer service
        (r"\bfix(?:ed)?\b", 0.5), (r"\bhelp(?:ful|less|line)?\b", 0.5), (r"\bupdates?\b", 0.5), (r"\bservice\b", 0.5),
        r"\bhelpline\b",
    ],
}


# Where people fly, what was paid, charged or refunded is the price of a trip that went wrong: "a refund
# for my cancelled flight" and "$200 to change my flight" are about the cancellation and the booking.
# There the money aspects count half (choice-1); elsewhere a bill or a price rise is the complaint.
AIRBORNE = {"billing": 0.5, "refund": 0.5, "price": 0.5}


def about_flying(texts):
    """True when FLYING_SHARE of `texts` (normalised replies to one question) use words only air travel uses."""
    texts = list(texts)
    return bool(texts) and sum(1 for t in texts if FLYING_WORDS.search(t)) >= FLYING_SHARE * len(texts)


def _on_the_ground():
    """ASPECTS where the replies are not about flying: GROUND's words moved or dropped."""
    moved = {p: to for targets in GROUND.values() for to, patterns in targets.items() for p in patterns}
    written = {_text(p) for key, _, _, patterns in ASPECTS if key in GROUND for p in patterns}
    if set(moved) - written:
        raise ValueError(f"GROUND names patterns its aspects do not have: {sorted(set(moved) - written)}")
    gained = {}  # {aspect: the airline aspects' patterns it takes}, in the lexicon's order
    for key, _, _, patterns in ASPECTS:
        for p in patterns:
            if key in GROUND and moved.get(_text(p)):
                gained.setdefault(moved[_text(p)], []).append(p)
    if set(OTHER_TRADES) - set(LABELS):
        raise ValueError(f"OTHER_TRADES names aspects the lexicon does not have: {sorted(set(OTHER_TRADES) - set(LABELS))}")
    rewritten = {key: {_text(p) for p in patterns} for key, patterns in OTHER_TRADES.items()}
    return [(key, label, weight,
             [p for p in patterns if (key not in GROUND or _text(p) not in moved) and _text(p) not in rewritten.get(key, ())]
             + gained.get(key, []) + OTHER_TRADES.get(key, []))
            for key, label, weight, patterns in ASPECTS]


def _text(pattern):
    return pattern[0] if isinstance(pattern, tuple) else pattern


def _compile(weight, patterns):
    """One regular expression per distinct weight: [(weight, regex, its patterns)].

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
            first = "".join(sorted({word[0] for hs in heads for word, _ in hs}))
            body = "|".join(f"(?:{p[2:]})" for p in ps)
            compiled.append((w, re.compile(rf"\b(?=[{first}])(?:{body})"), ps))
        else:
            compiled.append((w, re.compile("|".join(f"(?:{p})" for p in ps)), ps))
    return compiled


def _heads(pattern):
    """How every match of `pattern` starts: [(letters, whole)], whole when the letters are a whole
    word ("no " in r"\bno (?:power|signal)"), else the first three letters of a longer word; or None
    when that cannot be told."""
    return _starts(pattern.removeprefix(r"\b"))


def _starts(p):
    if p.startswith("(?:"):
        close = _closing(p)
        body, rest = p[3:close], p[close + 1:]
        if rest[:1] in ("{", "+"):
            return None
        optional = rest[:1] in ("?", "*")
        rest = rest[1:] if optional else rest
        heads = []
        for alternative in _alternatives(body) + ([""] if optional else []):
            found = _starts(alternative + rest)
            if found is None:
                return None
            heads += found
        return heads
    letters = re.match(r"[a-z]*", p).group()
    after = p[len(letters):]
    if letters and after[:1] == "?":  # its last letter is optional: with it and without
        with_it, without = _starts(letters + after[1:]), _starts(letters[:-1] + after[1:])
        return None if with_it is None or without is None else with_it + without
    if after[:1] in ("*", "{"):
        letters, after = letters[:-1], ""
    if letters and after[1:2] == "?" and after[:1] in (" ", "-", "'"):  # "no ?one": "no one" and "noone"
        with_it, without = _starts(letters + after[0] + after[2:]), _starts(letters + after[2:])
        return None if with_it is None or without is None else with_it + without
    if not letters:
        return None
    whole = after.startswith(r"\b") or (after[:1] in (" ", "'", "-") and after[1:2] not in ("?", "*", "{", "+"))
    return [(letters, True)] if whole else [(letters[:3], False)]


def _unescaped(p):
    """(index, character, depth after it) for each character of `p` that is not escaped."""
    depth, escaped = 0, False
    for i, c in enumerate(p):
        if escaped:
            escaped = False
            continue
        if c == "\\":
            escaped = True
            continue
        if c in "()":
            depth += 1 if c == "(" else -1
        yield i, c, depth


def _closing(p):
    """The index of the parenthesis that closes the group `p` starts with."""
    for i, c, depth in _unescaped(p):
        if c == ")" and depth == 0:
            return i
    raise ValueError(f"unbalanced pattern: {p}")


def _alternatives(body):
    """The alternatives of a group's body, split at its own level only."""
    found, start = [], 0
    for i, c, depth in _unescaped(body):
        if c == "|" and depth == 0:
            found.append(body[start:i])
            start = i + 1
    return found + [body[start:]]


def _index(compiled):
    """{whole word: regular expressions it can start a match of}, {word prefix: the same for a word
    starting with it}, and the regular expressions that always run."""
    words, prefixes, always = {}, {}, set()
    for _, weighted in compiled:
        for _, regex, patterns in weighted:
            for p in patterns:
                heads = _heads(p)
                if heads is None:
                    always.add(regex)
                for letters, whole in heads or ():
                    (words if whole else prefixes).setdefault(letters, set()).add(regex)
    return words, prefixes, always


def _tables(aspects):
    """({compiled pattern: (its place in the lexicon, aspect, weight)}, whole-word index, prefix index,
    compiled patterns that always run) of one reading of the lexicon."""
    compiled = [(key, _compile(weight, patterns)) for key, _, weight, patterns in aspects]
    in_order = [(key, w, regex) for key, weighted in compiled for w, regex, _ in weighted]
    return ({regex: (i, key, w) for i, (key, w, regex) in enumerate(in_order)},) + _index(compiled)


def _in_the_air():
    """ASPECTS where the replies are about flying: the money aspects' weights times AIRBORNE."""
    def scaled(key, pattern):
        if key not in AIRBORNE:
            return pattern
        return (pattern[0], pattern[1] * AIRBORNE[key]) if isinstance(pattern, tuple) else pattern
    return [(key, label, weight * AIRBORNE.get(key, 1.0), [scaled(key, p) for p in patterns])
            for key, label, weight, patterns in ASPECTS]


FLYING, GROUND_TABLES = _tables(_in_the_air()), _tables(_on_the_ground())
_WORD = re.compile(r"[a-z]+")
_NONE = frozenset()


def candidates(text, flying=True):
    """The compiled patterns that could match `text`: only they need to run."""
    _, whole, prefixes, always = FLYING if flying else GROUND_TABLES
    found = set(always)
    for word in set(_WORD.findall(text)):
        found |= whole.get(word, _NONE)
        for n in (1, 2, 3):
            found |= prefixes.get(word[:n], _NONE)
    return found


def aspect_scores(text, flying=True):
    """{aspect key: weight of its matches in `text`} for the aspects that match at all; `flying`
    False reads the airline aspects' general words in their other trades' sense (GROUND)."""
    order = (FLYING if flying else GROUND_TABLES)[0]
    hits = []
    for regex in candidates(text, flying):
        n = len(regex.findall(text))
        if n:
            hits.append(order[regex] + (n,))
    scores = {}
    for _, key, weight, n in sorted(hits):  # in the lexicon's order, as they always were added up
        scores[key] = scores.get(key, 0) + weight * n
    return scores


def dominant(scores, flying=True):
    """(key, weight) of the theme that wins among {aspect: weight}, or (None, 0).

    An aspect that another matched aspect outranks (OUTRANKS, or GROUND_OUTRANKS where `flying` is
    False) is out of the running; of the rest the one with the most weight wins, a tie going to the
    one listed first.
    """
    outranks = OUTRANKS if flying else GROUND_OUTRANKS
    beaten = set().union(*(outranks.get(key, ()) for key in scores)) if scores else set()
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
