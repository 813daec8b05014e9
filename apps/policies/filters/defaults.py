"""The prompt rules Imprimatur ships with, as JSON-able data.

A data migration seeds the compliance-managed rules from `DEFAULT_CATEGORIES`;
after that the database is the source of truth and these are only defaults.

How the lists are built:

* `terms` block on their own, so they hold only words and phrases that are
  unambiguous in marketing copy. Ambiguous words are either phrased ("bare
  breasts", not "breast"; "mass shooting", not "shooting"), fenced with
  `exceptions` ("nude" blocks, "nude lipstick" does not), or left to the
  semantic check.
* `cooccurrence` pairs two groups that are each harmless: a minor and nudity,
  a real person and undressing, a brand and its logo.
* `examples` are short, clinical descriptions of what the category refuses
  (the harm, not the medium: "a poster saying ..." made every retro poster
  look hateful); the semantic check compares prompts and each of their clauses
  against them. `counter_examples` describe allowed look-alikes that pull a
  score down (see `semantic.SemanticIndex`).
* Thresholds come from `evaluation.suggest_thresholds` with a budget of one
  false positive per category on the development list
  (tests/policies/data/filter_dev.jsonl plus the benchmark prompts), kept apart
  from the shipped evaluation set, with the int8 embedder that
  `semantic.get_embedder()` loads. Term lists carry most blocking, so the
  semantic check spends its small false-positive budget on recall.
* No category checks the negative prompt by default: every listed term is
  protective there ("nude, gore, logo" in a negative prompt asks for a safer
  image). PII is still checked on every field.
"""

from __future__ import annotations

from typing import Any

from .prompt import PromptFilterConfig, config_from_dicts
from .terms import AGE_UNDER_18

DEFAULT_PII_DETECTORS: tuple[str, ...] = ("email", "phone", "card", "iban", "national_id")

# Colour and fashion uses of "nude"/"naked", and other fixed phrases that
# contain a nudity word without meaning nudity.
_NUDITY_EXCEPTIONS = [
    "naked eye", "naked flame", "naked cake", "naked truth", "naked juice", "naked wire",
    "naked skincare", "naked bike", "naked city", "naked ape", "naked chef",
    "nude color", "nude colour", "nude colored", "nude coloured", "nude tone", "nude tones",
    "nude shade", "nude palette", "nude lipstick", "nude lip", "nude lips", "nude gloss",
    "nude lipgloss", "nude heels", "nude heel", "nude pumps", "nude shoes", "nude sandals",
    "nude nails", "nude nail", "nude polish", "nude makeup", "nude beige", "nude pink",
    "nude blush", "nude eyeshadow", "nude foundation", "nude leather", "nude stilettos",
    "nude boots", "nude bag", "nude handbag", "nude clutch", "nude dress", "nude bra",
    "nude tights", "nude stockings", "nude fabric", "nude hue",
]  # fmt: skip

# Fixed phrases that contain a listed sexual word without meaning it. Minors and
# ncii reuse them because their co-occurrence groups include the sexual terms.
_SEXUAL_EXCEPTIONS = [
    *_NUDITY_EXCEPTIONS, "cock a doodle", "cock-a-doodle-doo", "pussy willow", "blue tit",
    "great tit", "coal tit", "sex on the beach", "stripping paint", "paint stripping",
    "wire stripping", "paint stripper", "wire stripper", "wallpaper stripper",
]  # fmt: skip

_SEXUAL_TERMS = [
    "porn", "porno", "pornography", "pornographic", "pr0n", "pron", "hentai", "nsfw",
    "xxx rated", "rated xxx", "hardcore porn", "softcore", "erotica", "erotic", "nude", "nudes",
    "naked", "nudity", "topless", "bottomless", "unclothed", "undressed", "full frontal",
    "without clothes", "without clothing", "no clothes", "no clothing", "wearing nothing",
    "bare breasts", "bare breast", "exposed breasts", "exposed breast", "exposed nipples",
    "nipples visible", "visible nipples", "boobs", "tits", "titties", "pussy", "vagina",
    "vulva", "penis", "erect penis", "genitals", "genitalia", "cock", "dick pic", "his dick",
    "cunt", "sex scene", "sex act", "sex acts", "having sex", "have sex", "sexual intercourse",
    "intercourse", "sex tape", "sex video", "sex position", "oral sex", "anal sex",
    "group sex", "sex toy", "sexually explicit", "explicit sex", "explicit nudity",
    "blowjob", "blow job", "handjob", "hand job", "cumshot", "creampie", "gangbang",
    "gang bang", "orgy", "threesome", "masturbating", "masturbation", "masturbate",
    "fellatio", "cunnilingus", "ejaculation", "ejaculating", "orgasm", "stripping",
    "striptease", "stripper", "lap dance", "camgirl", "onlyfans", "porn star", "pornstar",
    "adult film", "adult video", "bdsm", "bondage", "milf", "upskirt", "lewd", "pornhub",
]  # fmt: skip

_MINOR_TERMS = [
    "child", "children", "kid", "kids", "toddler", "infant", "baby", "babies", "newborn",
    "little girl", "little boy", "young girl", "young boy", "schoolgirl", "schoolboy",
    "school girl", "school boy", "preteen", "pre-teen", "tween", "teen", "teens",
    "teenager", "teenage", "adolescent", "underage", "under age", "minor", "minors",
    "juvenile", "kindergarten", "middle school", "elementary school", "daughter", "son",
    "boy aged", "girl aged", "pupil", "student girl", AGE_UNDER_18,
]  # fmt: skip

_SEXUALISING_TERMS = [
    *_SEXUAL_TERMS, "sexy", "sexual", "sexualized", "sexualised", "seductive",
    "seductively", "sensual", "provocative", "suggestive", "lingerie", "underwear",
    "panties", "see-through", "see through", "undress", "undressing", "fetish", "sex",
]  # fmt: skip

_REAL_PERSON_TERMS = [
    "my coworker", "my co-worker", "coworker", "co-worker", "my colleague", "colleague",
    "colleagues", "my boss", "my ex", "ex-girlfriend", "ex-boyfriend", "ex girlfriend",
    "ex boyfriend", "ex-wife", "ex wife", "ex-husband", "ex husband", "my girlfriend",
    "my boyfriend", "my wife", "my husband", "my neighbor", "my neighbour", "neighbor",
    "neighbour", "my classmate", "classmate", "my teacher", "my friend", "my sister",
    "my cousin", "my roommate", "roommate", "my crush", "my stepmom", "my stepsister",
    "sister-in-law", "girl next door", "celebrity", "celebrities", "famous actress",
    "famous actor", "famous singer", "news anchor", "politician", "mayor", "real person",
    "this person", "this photo", "this picture", "this image", "this selfie",
    "uploaded photo", "uploaded picture", "attached photo", "reference photo", "her photo",
    "her photos", "her picture", "his photo", "profile photo", "profile picture",
    "from instagram", "her instagram", "from facebook", "her facebook", "facebook photo",
    "from linkedin", "her linkedin", "linkedin photo", "yearbook", "red carpet photo",
    "taylor swift", "scarlett johansson", "emma watson", "kim kardashian", "selena gomez",
    "billie eilish", "ariana grande", "margot robbie", "jennifer lawrence", "zendaya",
]  # fmt: skip

_INTIMATE_TERMS = [
    *_SEXUAL_TERMS, "undress", "undressing", "unclothe", "take off her clothes",
    "take off his clothes", "remove her clothes", "remove his clothes", "remove the clothes",
    "remove clothes", "remove clothing", "remove the clothing", "remove her bikini",
    "remove her dress", "strip the clothes", "see-through", "see through", "lingerie",
    "underwear", "intimate", "sexy", "sex", "nudify", "deepfake", "deepnude",
    "shower photo", "changing room", "hidden camera", "spy cam",
]  # fmt: skip

# Groups of people that hateful prompts target, for the hate co-occurrence rule.
_GROUP_TERMS = [
    "jews", "jewish people", "jewish", "muslims", "muslim", "black people", "blacks",
    "africans", "african americans", "immigrants", "immigrant", "migrants", "refugees",
    "asylum seekers", "mexicans", "latinos", "asians", "asian people", "chinese people",
    "arabs", "gays", "gay people", "gay men", "lesbians", "homosexuals",
    "transgender people", "trans people", "transgender", "disabled people",
    "people with disabilities", "down syndrome", "roma", "gypsies", "hindus", "sikhs",
    "indigenous people", "native americans", "sikh", "hindu", "jew",
]  # fmt: skip

# Hostile or dehumanising framing: vermin metaphors, expulsion, threats, mockery.
_HOSTILE_TERMS = [
    "vermin", "rats", "cockroaches", "parasites", "apes", "monkeys", "as animals",
    "like animals", "subhuman", "inferior", "diseased", "as a virus", "terrorists",
    "rapists", "thieves", "criminals", "freaks", "should be killed", "should die",
    "must die", "kill all", "exterminate", "extermination", "deport all", "go back",
    "not allowed", "not welcome", "get out", "caricature", "caricatures", "mocking",
    "ridiculing", "dehumanizing", "dehumanising", "control the world", "conspiracy",
    "hooked nose", "hooked-nose", "slanted eyes", "money bags", "pig", "pigs", "as bombs",
    "perverts", "disgusting",
]  # fmt: skip

DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    {
        "slug": "sexual",
        "label": "Sexual content and nudity",
        "terms": _SEXUAL_TERMS,
        "exceptions": _SEXUAL_EXCEPTIONS,
        "examples": [
            "a nude woman posing",
            "a naked man",
            "a topless woman showing her breasts",
            "explicit pornographic image",
            "a couple having sex",
            "a woman undressing, fully naked",
            "erotic photo with exposed genitals",
            "a person wearing no clothes at all",
            "nsfw adult content",
            "a stripper taking off her clothes",
            "sexually explicit scene in a bedroom",
            "a model with her breasts exposed",
            "nude selfie in a mirror",
            "a sex act between two people",
            "a woman exposing her breasts",
            "a man exposing his genitals",
        ],
                "counter_examples": [
            "a woman in an elegant evening dress",
            "a lingerie product photo on a hanger, no model",
            "a swimwear catalog photo on a beach",
            "nude-colored makeup and shoes",
            "a romantic couple holding hands",
            "a fitness model in sportswear at the gym",
            "a spa massage with towels and candles",
            "a sexual health clinic information leaflet",
            "a breast cancer awareness ribbon",
            "a mother breastfeeding her baby",
        ],
        "semantic_threshold": 0.52,
        "check_negative": False,
        "guidance": "Remove nudity and sexual content; describe clothing and a non-sexual pose.",
    },
    {
        "slug": "minors",
        "label": "Sexual content involving minors",
        "terms": [
            "child porn", "child pornography", "csam", "cp porn", "loli", "lolicon", "shota",
            "shotacon", "jailbait", "pedophile", "paedophile", "pedo", "preteen nude",
            "underage sex", "underage nude", "child abuse material", "toddlercon",
        ],
        "cooccurrence": [_MINOR_TERMS, _SEXUALISING_TERMS],
        "exceptions": [*_SEXUAL_EXCEPTIONS, "sex education", "sexual health", "sex ed"],
        "examples": [
            "a naked child",
            "a nude little girl",
            "a sexy young teenage girl",
            "a child in lingerie in a seductive pose",
            "sexualized image of a minor",
            "an undressed young boy",
            "erotic picture of a kid",
            "a topless preteen",
            "underage girl posing nude",
            "a schoolgirl stripping",
            "child sexual abuse material",
            "a toddler in an erotic pose",
        ],
                "counter_examples": [
            "children playing in a park",
            "a family photo at the beach",
            "a baby in a onesie",
            "a kids' clothing catalog",
            "a baby bath product ad",
            "a school class photo",
            "a child's birthday party",
            "teenagers studying together",
            "a baby sleeping in a crib",
        ],
        "semantic_threshold": 0.49,
        "check_negative": False,
        "guidance": (
            "Images that sexualise or show nudity of anyone who is or looks under 18 are never "
            "generated. Remove the sexual or nudity elements."
        ),
    },
    {
        "slug": "ncii",
        "label": "Intimate imagery of real people",
        "terms": [
            "deepfake nude", "deepfake nudes", "deepfake porn", "deep fake nude", "deepnude",
            "nudify", "nudifier", "undress app", "undress ai", "undressing ai", "clothes remover",
            "clothing remover", "revenge porn", "leaked nudes", "fake nudes", "nude fake",
            "nude deepfake", "celebrity nude", "celebrity nudes", "celeb nude", "upskirt",
            "downblouse", "hidden camera shower", "spy cam shower", "undress her", "undress him",
            "remove her clothes", "remove his clothes", "take off her clothes",
            "strip her naked",
        ],
        "cooccurrence": [_REAL_PERSON_TERMS, _INTIMATE_TERMS],
        "exceptions": [*_SEXUAL_EXCEPTIONS, "deepfake detection", "face swap filter"],
        "examples": [
            "a deepfake nude of a real woman",
            "undress the person in this photo",
            "remove the clothes from a picture of my coworker",
            "a naked version of a celebrity",
            "fake nude photos of my ex-girlfriend",
            "put my classmate's face on a naked body",
            "revenge porn of a real person",
            "a hidden camera photo of someone undressing",
            "an intimate photo of a real person without her consent",
            "a sex tape of a famous actress",
            "make my neighbor naked using her photo",
            "leaked nude pictures of an influencer",
        ],
                "counter_examples": [
            "a professional headshot of a colleague",
            "a portrait of a celebrity at an event",
            "an influencer holding a product",
            "editing a photo to remove the background",
            "a photo of my partner on vacation",
            "a team photo of my coworkers",
        ],
        "semantic_threshold": 0.47,
        "check_negative": False,
        "guidance": (
            "Intimate or sexual images of real, identifiable people are not generated. "
            "Remove the person's identity or the intimate content."
        ),
    },
    {
        "slug": "violence",
        "label": "Graphic violence and gore",
        "terms": [
            "gore", "gory", "gruesome", "decapitated", "decapitation", "beheaded", "beheading",
            "headless corpse", "dismembered", "dismemberment", "disembowel", "disemboweled",
            "disembowelment", "eviscerated", "mutilated", "mutilation", "mangled corpse",
            "mangled body", "mangled bodies", "severed head", "severed limb", "severed limbs",
            "severed arm", "severed leg", "severed fingers", "severed finger", "impaled",
            "entrails", "intestines spilling", "guts spilling", "brain matter", "brains splattered",
            "blood splatter", "pool of blood", "bloodbath", "blood-soaked", "covered in blood",
            "bleeding out", "slit throat", "throat cut", "throat slit", "gunshot wound",
            "bullet wound", "bullet holes", "skinned alive", "burned alive", "flayed",
            "torture scene", "torture chamber", "massacre", "mass shooting",
            "school shooting", "shooting people", "stabbing", "stabbed", "murder victim",
            "corpse", "corpses", "dead body", "dead bodies", "rotting corpse", "lynching",
            "execution video", "cannibal", "chainsaw massacre", "beaten to death",
            "beaten bloody", "gouged out", "crushed skull", "bones sticking out",
            "exposed bones", "torn flesh", "blood spurting", "blood pouring", "shot dead",
            "shooting dead", "opening fire", "opened fire", "open fire on", "firing squad",
            "burned at the stake", "burning at the stake", "blown apart", "blown to pieces",
            "tearing people apart", "torn to pieces", "decomposing body", "decomposing corpse",
            "bleeding to death", "bled to death", "bleed to death", "beaten with a bat",
            "electric shocks", "dead child", "dead children", "dead civilians",
            "ramming into a crowd",
            "public execution",
        ],
        "exceptions": [
            "stabbing pain", "price massacre", "massacre of prices", "corpse flower",
            "corpse lily", "corpse pose", "corpse bride", "al gore", "gore tex",
        ],
        "examples": [
            "a decapitated body",
            "a mutilated corpse covered in blood",
            "graphic gore with spilled intestines",
            "a person being stabbed to death",
            "a mass shooting with dead victims",
            "a brutal torture scene with blood",
            "severed limbs and blood everywhere",
            "a gunshot wound to the head, graphic",
            "dead bodies after a massacre",
            "a man being beaten bloody",
            "an execution, a dead hanged man",
            "a horrific accident with dead victims and exposed bones",
            "an animal being tortured",
            "a murder scene with a bleeding victim",
            "a person being strangled to death",
            "cutting off a person's fingers",
            "shooting a person in the head",
            "a terrorist attack killing people in a crowd",
            "people killed by a bomb explosion",
            "a dead body lying on the ground",
        ],
                "counter_examples": [
            "a halloween costume party",
            "a thriller book cover",
            "a martial arts class",
            "a hunting gear catalog",
            "a first aid kit",
            "a war memorial with flowers",
            "a butcher shop with meat",
            "a chef cutting meat",
            "a sports competition",
            "a wildlife predator hunting its prey",
            "a crime mystery game",
        ],
        "semantic_threshold": 0.46,
        "check_negative": False,
        "guidance": (
            "Remove blood, injuries, dead bodies and acts of violence against people or animals."
        ),
    },
    {
        "slug": "hate",
        "label": "Hate symbols and hateful content",
        "terms": [
            "nazi", "nazis", "neo-nazi", "swastika flag", "swastika banner", "swastika emblem",
            "swastika armband", "swastika logo", "nazi swastika", "heil hitler", "sieg heil",
            "hitler salute", "third reich", "ku klux klan", "kkk", "white power", "white pride",
            "white supremacy", "white supremacist", "white supremacists", "master race",
            "aryan race", "aryan master race", "1488", "ethnic cleansing", "holocaust denial",
            "blackface", "minstrel caricature", "racist caricature", "racist poster",
            "antisemitic caricature", "burning cross", "subhuman", "untermensch",
            "hate symbol", "hate symbols", "chinese virus", "useless eaters",
            "nigger", "nigga", "kike", "faggot", "wetback", "raghead", "towelhead", "chink",
            "spic", "gook",
        ],
        "exceptions": [
            "white power bank", "white power banks", "white power strip", "white power cable",
            "white power adapter", "white power supply", "white power outlet",
            "white power button", "chink in the armor", "chink in the armour", "anti racist",
            "anti-racist", "antiracist", "anti racism", "no hate symbols", "without hate symbols",
            "year of the pig", "year of the rat", "year of the monkey", "chinese zodiac",
            "guinea pig", "guinea pigs",
        ],
        # A group of people named together with dehumanising or hostile framing.
        "cooccurrence": [_GROUP_TERMS, _HOSTILE_TERMS],
        "examples": [
            "nazi propaganda with a swastika flag",
            "a racist caricature of black people",
            "an antisemitic depiction of jewish people",
            "immigrants portrayed as vermin",
            "ku klux klan rally with a burning cross",
            "white supremacist propaganda",
            "calling for violence against gay people",
            "hateful meme mocking a religion",
            "people of an ethnic group depicted as animals",
            "muslims portrayed as terrorists",
            "dehumanizing propaganda against refugees",
            "no black people allowed",
            "hate speech against transgender people",
            "black people compared to apes",
            "mocking people with disabilities",
            "propaganda blaming an ethnic group for a disease",
            "a racial slur",
        ],
                "counter_examples": [
            "a civil rights history exhibition",
            "a diverse team of people",
            "a religious building on a travel poster",
            "an anti-racism campaign",
            "a pride celebration",
            "a cultural festival",
            "a world war two museum exhibition",
            "a message of love and tolerance against hate",
            "a retro vintage style poster",
            "an anti-racist workshop or training",
            "a campaign against discrimination and hate",
        ],
        "semantic_threshold": 0.47,
        "check_negative": False,
        "guidance": "Remove hate symbols, slurs and content that demeans people for who they are.",
    },
    {
        "slug": "self_harm",
        "label": "Self-harm and suicide",
        "terms": [
            "self harm", "self-harm", "selfharm", "self harming", "self-harming",
            "self-inflicted", "self inflicted", "self mutilation", "self-mutilation",
            "cutting myself", "cut myself", "cutting herself", "cutting himself",
            "cutting their wrists", "cutting her wrists", "cut wrists", "slit wrists",
            "slitting wrists", "slitting her wrists", "slit her wrists", "wrist cutting",
            "kill myself", "killing myself", "kill yourself", "kys", "kill herself",
            "kill himself", "hang myself", "hang yourself", "hanging myself",
            "hanging themselves", "hanging herself", "hanging himself", "commit suicide",
            "committing suicide", "commits suicide", "suicide note", "suicide scene",
            "suicide by", "suicidal", "end my life", "end his life", "end her life",
            "end their life", "end it all", "pro-ana", "pro ana", "proana", "pro-mia",
            "thinspiration", "thinspo", "bonespo", "starving myself",
            "shooting myself", "shooting themselves", "shooting herself", "shooting himself",
            "drowning themselves", "drowning herself", "burning herself", "burning myself",
            "suicide", "suicides", "noose", "nooses", "rope around his neck",
            "rope around her neck", "rope around their neck", "until they bleed",
            "until it bleeds", "until she bleeds", "until he bleeds", "goodbye note",
            "goodbye letter", "suicide pact",
        ],
        # Campaigns against suicide and self-harm are legitimate marketing work.
        "exceptions": [
            "suicide prevention", "suicide awareness", "suicide hotline", "suicide helpline",
            "suicide crisis line", "suicide crisis", "suicide squad", "suicide doors",
            "suicide door", "suicide squeeze", "self harm prevention", "self-harm prevention",
            "self harm awareness", "self-harm awareness", "self harm support",
            "self-harm support", "noose knot", "hangman's noose knot",
        ],
        "examples": [
            "a person cutting their wrists",
            "fresh self-harm cuts on an arm",
            "a person hanging from a noose",
            "someone about to jump off a bridge to kill themselves",
            "a suicide scene",
            "a pile of pills for an overdose to die",
            "pro-ana thinspiration of a skeletal body",
            "a person pointing a gun at their own head",
            "bleeding wrists in a bathtub",
            "a person starving herself to be thin",
            "self-inflicted burns",
            "glorifying suicide as beautiful",
            "burning skin with a cigarette to self-harm",
            "purging food to stay thin",
            "a message telling someone to kill themselves",
            "scratching skin until it bleeds",
            "not eating to become bony thin",
        ],
                "counter_examples": [
            "a suicide prevention campaign",
            "first aid for a small cut",
            "a mental health awareness poster",
            "a person enjoying the view from a cliff",
            "a razor for shaving",
            "a healthy diet plan",
            "a tired person resting",
            "a support group meeting",
            "a drug overdose prevention campaign",
        ],
        "semantic_threshold": 0.45,
        "check_negative": False,
        "guidance": (
            "Remove self-harm and suicide imagery. If this is for a prevention campaign, "
            "describe hope and support rather than the act."
        ),
    },
    {
        "slug": "brand_misuse",
        "label": "Third-party brands and characters",
        "terms": [
            "nike swoosh", "swoosh logo", "just do it slogan", "coca-cola", "coca cola",
            "golden arches", "starbucks siren", "louis vuitton", "mickey mouse",
            "minnie mouse", "donald duck", "disney character", "disney characters",
            "disney princess", "pixar character", "pixar characters", "marvel superheroes",
            "marvel superhero", "marvel characters", "spider-man", "spiderman", "iron man",
            "batman", "superman", "wonder woman", "pikachu", "pokemon", "hello kitty",
            "lego minifigure", "lego minifigures", "jumpman logo", "prancing horse logo",
            "three stripes logo", "super mario", "mario from nintendo",
        ],
        "cooccurrence": [
            [
                "nike", "adidas", "puma logo", "reebok", "apple logo", "coke", "pepsi",
                "mcdonald's", "mcdonalds", "starbucks", "disney", "pixar", "marvel",
                "dc comics", "nintendo", "gucci", "chanel", "prada", "rolex", "ferrari",
                "lamborghini", "lego", "red bull", "louis vuitton", "burberry", "dior",
                "versace",
            ],
            [
                "logo", "logos", "trademark", "swoosh", "monogram", "mascot", "mascots",
                "characters", "character", "branding", "style of", "ad", "advert",
                "advertisement", "commercial", "slogan", "endorsing", "promoting", "watch",
                "pattern", "packaging", "emblem", "font",
            ],
        ],
        "examples": [
            "our product with the Nike logo",
            "Disney characters in our advert",
            "in the style of a Coca-Cola advertisement",
            "Mickey Mouse holding our product",
            "our bag with the Louis Vuitton monogram",
            "a Marvel superhero promoting our brand",
            "Pikachu as our mascot",
            "our cup with the Starbucks logo",
            "the Apple logo on our laptop",
            "McDonald's golden arches on our packaging",
            "a Disney cartoon character drinking our juice",
            "a Marvel movie superhero promoting our gym",
        ],
                "counter_examples": [
            "our own logo on our product",
            "a generic superhero costume",
            "a cartoon mascot for our brand",
            "our brand's packaging design",
            "a generic sneaker design",
            "a generic cola bottle with our label",
            "our own monogram pattern on our leather goods",
        ],
        "semantic_threshold": 0.51,
        "check_negative": False,
        "guidance": (
            "Remove other companies' logos, trademarks and characters; use your own brand "
            "assets or generic designs."
        ),
    },
]


def default_config(*, semantic: bool = True) -> PromptFilterConfig:
    """The shipped rules as a filter configuration."""
    return config_from_dicts(
        DEFAULT_CATEGORIES, pii_detectors=DEFAULT_PII_DETECTORS, semantic=semantic
    )
