"""English verb morphology for negation: a table of irregular verbs plus regular rules.

Only verbs in these tables are inflected, so an unknown word is never turned into a made-up form.
"""

from __future__ import annotations

# base: (past, past participle)
IRREGULAR: dict[str, tuple[str, str]] = {
    "be": ("was", "been"), "have": ("had", "had"), "do": ("did", "done"), "go": ("went", "gone"),
    "get": ("got", "gotten"), "make": ("made", "made"), "take": ("took", "taken"), "come": ("came", "come"),
    "see": ("saw", "seen"), "know": ("knew", "known"), "give": ("gave", "given"), "find": ("found", "found"),
    "think": ("thought", "thought"), "tell": ("told", "told"), "become": ("became", "become"),
    "leave": ("left", "left"), "feel": ("felt", "felt"), "bring": ("brought", "brought"),
    "begin": ("began", "begun"), "keep": ("kept", "kept"), "hold": ("held", "held"), "write": ("wrote", "written"),
    "stand": ("stood", "stood"), "hear": ("heard", "heard"), "let": ("let", "let"), "mean": ("meant", "meant"),
    "set": ("set", "set"), "meet": ("met", "met"), "run": ("ran", "run"), "pay": ("paid", "paid"),
    "sit": ("sat", "sat"), "speak": ("spoke", "spoken"), "lead": ("led", "led"), "grow": ("grew", "grown"),
    "lose": ("lost", "lost"), "fall": ("fell", "fallen"), "send": ("sent", "sent"), "build": ("built", "built"),
    "understand": ("understood", "understood"), "break": ("broke", "broken"), "spend": ("spent", "spent"),
    "cut": ("cut", "cut"), "drive": ("drove", "driven"), "buy": ("bought", "bought"), "wear": ("wore", "worn"),
    "choose": ("chose", "chosen"), "throw": ("threw", "thrown"), "catch": ("caught", "caught"),
    "deal": ("dealt", "dealt"), "win": ("won", "won"), "forget": ("forgot", "forgotten"), "eat": ("ate", "eaten"),
    "sell": ("sold", "sold"), "fly": ("flew", "flown"), "sleep": ("slept", "slept"), "teach": ("taught", "taught"),
    "fight": ("fought", "fought"), "hurt": ("hurt", "hurt"), "hit": ("hit", "hit"), "put": ("put", "put"),
    "cost": ("cost", "cost"), "quit": ("quit", "quit"), "shut": ("shut", "shut"), "read": ("read", "read"),
    "drink": ("drank", "drunk"), "sing": ("sang", "sung"), "ride": ("rode", "ridden"), "ring": ("rang", "rung"),
    "shake": ("shook", "shaken"), "steal": ("stole", "stolen"), "swim": ("swam", "swum"), "wake": ("woke", "woken"),
    "forgive": ("forgave", "forgiven"), "freeze": ("froze", "frozen"), "hang": ("hung", "hung"),
    "hide": ("hid", "hidden"), "bite": ("bit", "bitten"), "blow": ("blew", "blown"), "feed": ("fed", "fed"),
    "lend": ("lent", "lent"), "shoot": ("shot", "shot"), "show": ("showed", "shown"), "sink": ("sank", "sunk"),
    "stick": ("stuck", "stuck"), "strike": ("struck", "struck"), "swear": ("swore", "sworn"),
    "tear": ("tore", "torn"), "bend": ("bent", "bent"), "bet": ("bet", "bet"), "dig": ("dug", "dug"),
    "lay": ("laid", "laid"), "say": ("said", "said"), "sweep": ("swept", "swept"), "upset": ("upset", "upset"),
    "mislead": ("misled", "misled"), "oversleep": ("overslept", "overslept"), "seek": ("sought", "sought"),
    "undo": ("undid", "undone"), "withdraw": ("withdrew", "withdrawn"), "overcome": ("overcame", "overcome"),
    "rebuild": ("rebuilt", "rebuilt"), "beat": ("beat", "beaten"), "mistake": ("mistook", "mistaken"), "arise": ("arose", "arisen"),
}
SAME_PAST = frozenset(b for b, (p, _) in IRREGULAR.items() if b == p)

REGULAR: frozenset[str] = frozenset("""
like love enjoy hate dislike appreciate admire value welcome recommend regret despise abhor dread resent
loathe book check board notice use want need help work start finish arrive land delay cancel change wait
call ask answer reply respond return refund charge miss pick offer provide deliver serve order receive
include expect hope try seem look sound smell taste appear happen improve fix solve handle treat care
listen watch play stay travel upgrade downgrade reschedule rebook allow apologize apologise explain promise
manage plan stop drop ship shop step prefer occur admit commit permit refer transfer submit omit control
last matter mind open close move pass push pull reach remain remember report save share sign smile
support suppose talk thank turn visit walk wish wonder worry add agree announce argue arrange attend
avoid believe borrow bother breathe brush calm clean collect compare complain complete confirm consider
contact continue cook copy correct count cover cross cry damage dance decide deserve describe destroy
disappear disappoint discover dress earn email end enter escape excuse exist fail fill follow force
guess hug hurry identify ignore imagine impress inform insist intend invite join jump kick kill
kiss knock laugh learn lift live load lock mention name note obtain owe pack paint park pause perform
phone place please point post pour pray pretend print process produce protect prove queue rain
raise realize realise record reduce refuse relax release rely remove rent repair repeat replace request
require rescue reserve respect rest review ruin rush satisfy scan scare search settle shout skip
slip sort spell state store study succeed suffer suggest supply surprise switch touch trade train
trust tweet type unpack update vote warn wash waste weigh wipe wrap yell rock suck rule last
accept achieve act affect aim annoy apply approve assist assume attach attempt bake beg behave belong
blame block boil bore bounce burn calculate celebrate chat cheat cheer chew claim clap climb coach
comment communicate compete concern confuse connect convince crash crawl create cure cycle deceive
delete demand depend deny design develop die dine disagree dislike doubt drag drown dry educate
embarrass employ encourage engage entertain excite exchange expand experience explore express face
fancy fear fetch file fire fit flash float flood fold frighten fry gather glue grab greet grin guarantee
guide hammer harm hate hunt hurry inspect install interest interrupt introduce invent irritate jog
juggle label land last launch lie listen match measure melt mess miss mix moan multiply murder nod
notice object observe obey occupy offend operate organize organise overbook own pat peel permit pinch
plant plug polish possess practice practise preach precede prepare present preserve press prevent
pride pump punch punish purchase reject rejoice remind replace reply retire risk rob rub sail scratch
scream screw seal select serve shave shelter shiver shock signal sin ski slap smash smoke sneeze snow
spare spark spill spoil spray squash squeak stamp stare stay steer stir stitch strengthen stretch
strip stuff subtract suit surround suspect suspend tame tease telephone tempt terrify test tick tie
time tip tire tour tow transport trap trick trip trot trouble tumble twist unite unlock unfollow
vanish wander warm watch wave weep whip whisper wink wobble wreck yawn zoom reopen
release refill recover reply carry marry bury
""".split())

DOUBLING = frozenset("""
stop plan drop ship shop step prefer occur admit commit permit refer transfer submit omit control
beg chat clap drag grab hug jog nod pat rob rub scan skip slip trap trip trot wrap travel cancel
label fit
""".split())

VERBS = frozenset(REGULAR) | frozenset(IRREGULAR)


def past(base: str) -> str | None:
    if base in IRREGULAR:
        return IRREGULAR[base][0]
    if base not in REGULAR:
        return None
    if base in DOUBLING:
        return base + base[-1] + "ed"
    if base.endswith("e"):
        return base + "d"
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ied"
    return base + "ed"


def third_person(base: str) -> str | None:
    if base == "have":
        return "has"
    if base == "be":
        return "is"
    if base not in VERBS:
        return None
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


_PAST_TO_BASE = {p: b for b, (p, _) in IRREGULAR.items() if b not in ("be",)}
_PARTICIPLES = {pp for _, pp in IRREGULAR.values()} | {p for p, _ in IRREGULAR.values()} - {"was"}


def base_of_past(word: str) -> str | None:
    """'liked' -> 'like', 'went' -> 'go', 'stopped' -> 'stop'; None when not a known past form."""
    if word in _PAST_TO_BASE:
        return _PAST_TO_BASE[word]
    if not word.endswith("ed") or len(word) < 4:
        return None
    candidates = []
    if word.endswith("ied"):
        candidates.append(word[:-3] + "y")
    if len(word) > 4 and word[-3] == word[-4]:
        candidates.append(word[:-3])
    candidates += [word[:-1], word[:-2]]
    for base in candidates:
        if base in REGULAR and past(base) == word:
            return base
    # spelling variants: "canceled" and "cancelled" are both accepted
    for base in candidates:
        if base in REGULAR:
            return base
    return None


def base_of_third(word: str) -> str | None:
    """'likes' -> 'like', 'goes' -> 'go', 'tries' -> 'try'; None when not a known -s form."""
    if word == "has":
        return "have"
    candidates = []
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("s"):
        candidates.append(word[:-1])
    for base in candidates:
        if base in VERBS and third_person(base) == word:
            return base
    return None


def is_participle(word: str) -> bool:
    return word in _PARTICIPLES or base_of_past(word) is not None
