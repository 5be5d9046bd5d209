"""First-name nicknames: which short forms stand for which given names.

Matching treats two first names as the same person's when they share a group here
(Bob and Robert, Liz and Elizabeth, Paco and Francisco). A nickname may belong to several
groups: Pat is a Patrick or a Patricia, Alex an Alexander or an Alexandra, so Pat matches
both, while Patrick and Patricia never match each other.

Names are written folded, the way `leadkit.match` compares them: lowercase ASCII letters,
accents removed, no spaces or hyphens. Adding a row here is the whole job of supporting a
new nickname; `groups_frame()` is what the matcher joins against.
"""

from __future__ import annotations

from functools import cache

import polars as pl

# canonical given name -> its common short and familiar forms (and spelling variants that
# are the same name). Keep one line per canonical name, sorted by language then alphabet.
NICKNAMES: dict[str, tuple[str, ...]] = {
    # English, men
    "abraham": ("abe",),
    "albert": ("al", "bert", "bertie"),
    "alexander": ("alex", "al", "alec", "sandy", "xander", "lex"),
    "alfred": ("alf", "alfie", "fred"),
    "allan": ("al", "allen", "alan"),
    "andrew": ("andy", "drew", "andi"),
    "anthony": ("tony", "ant", "antony"),
    "archibald": ("archie",),
    "arthur": ("art", "artie"),
    "benjamin": ("ben", "benny", "benji"),
    "bernard": ("bernie", "bern"),
    "bradley": ("brad",),
    "bradford": ("brad",),
    "calvin": ("cal",),
    "cameron": ("cam",),
    "charles": ("charlie", "chuck", "chas", "chaz", "chip"),
    "christian": ("chris",),
    "christopher": ("chris", "kit", "topher", "kristopher", "cristopher"),
    "clifford": ("cliff",),
    "curtis": ("curt",),
    "daniel": ("dan", "danny", "dani"),
    "david": ("dave", "davey", "davy"),
    "dennis": ("denny",),
    "dominic": ("dom", "nic", "dominick"),
    "donald": ("don", "donnie", "donny"),
    "douglas": ("doug",),
    "edmund": ("ed", "eddie", "ned"),
    "edward": ("ed", "eddie", "eddy", "ted", "teddy", "ned"),
    "edwin": ("ed", "eddie"),
    "eugene": ("gene",),
    "francis": ("frank", "fran"),
    "franklin": ("frank",),
    "frederick": ("fred", "freddie", "freddy", "frederic", "fredrick"),
    "gabriel": ("gabe",),
    "gerald": ("gerry", "jerry"),
    "geoffrey": ("geoff", "jeff"),
    "gregory": ("greg",),
    "harold": ("hal", "harry"),
    "henry": ("hank", "harry", "hal"),
    "herbert": ("herb", "bert"),
    "howard": ("howie",),
    "isaac": ("ike",),
    "jacob": ("jake", "jakob"),
    "james": ("jim", "jimmy", "jimmie", "jamie", "jem"),
    "jeffrey": ("jeff", "geoffrey", "jeffery"),
    "jeremy": ("jerry", "jez"),
    "jerome": ("jerry",),
    "john": ("jack", "johnny", "jon", "jonny"),
    "jonathan": ("jon", "jonny", "johnathan"),
    "joseph": ("joe", "joey", "jos"),
    "joshua": ("josh",),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry", "laurence", "lorenzo"),
    "leonard": ("leo", "len", "lenny"),
    "louis": ("lou", "louie", "lewis"),
    "matthew": ("matt", "matty", "mat"),
    "maximilian": ("max",),
    "maxwell": ("max",),
    "michael": ("mike", "mikey", "mick", "mickey", "mitch"),
    "mitchell": ("mitch",),
    "nathan": ("nate", "nat"),
    "nathaniel": ("nate", "nat", "nathan"),
    "nicholas": ("nick", "nicky", "nico", "nicolas", "nik"),
    "oliver": ("ollie", "olly"),
    "patrick": ("pat", "paddy", "patty"),
    "peter": ("pete",),
    "philip": ("phil", "phillip"),
    "raymond": ("ray",),
    "richard": ("rick", "rich", "richie", "ricky", "dick"),
    "robert": ("bob", "rob", "bobby", "robbie", "bert", "robby"),
    "ronald": ("ron", "ronnie", "ronny"),
    "russell": ("russ",),
    "samuel": ("sam", "sammy"),
    "stanley": ("stan",),
    "stephen": ("steve", "stevie", "steven"),
    "steven": ("steve", "stevie", "stephen"),
    "stuart": ("stu", "stewart"),
    "terence": ("terry", "terrence"),
    "theodore": ("ted", "teddy", "theo"),
    "thomas": ("tom", "tommy", "thom"),
    "timothy": ("tim", "timmy"),
    "tobias": ("toby",),
    "vincent": ("vince", "vinny", "vin"),
    "walter": ("walt", "wally"),
    "william": ("bill", "billy", "will", "willy", "willie", "liam"),
    "zachary": ("zach", "zack", "zac", "zak"),
    # English, women
    "abigail": ("abby", "abbie", "gail"),
    "alexandra": ("alex", "alexa", "sandy", "lexi", "alix"),
    "alexis": ("alex", "lexi"),
    "amanda": ("mandy", "manda"),
    "angela": ("angie",),
    "barbara": ("barb", "barbie", "babs"),
    "caroline": ("carrie", "caro"),
    "catherine": ("cathy", "kate", "katie", "cat", "katherine", "kathryn"),
    "christina": ("tina", "chris", "chrissy", "kristina"),
    "christine": ("chris", "chrissy", "tina", "kristine"),
    "cynthia": ("cindy",),
    "deborah": ("debbie", "deb", "debby", "debra"),
    "dorothy": ("dot", "dottie", "dolly"),
    "eleanor": ("ellie", "nell", "nellie"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "betsy", "eliza", "libby", "elisabeth"),
    "emily": ("em", "emmy"),
    "frances": ("fran", "frankie", "franny"),
    "gabrielle": ("gabby", "gabi"),
    "jacqueline": ("jackie", "jacqui"),
    "janet": ("jan",),
    "jennifer": ("jen", "jenny", "jenn", "jennie"),
    "jessica": ("jess", "jessie"),
    "joanne": ("jo", "joanna"),
    "josephine": ("jo", "josie"),
    "judith": ("judy", "jude"),
    "katherine": ("kate", "kathy", "katie", "kat", "kathryn", "catherine"),
    "kathleen": ("kathy", "kate", "katie"),
    "kimberly": ("kim", "kimberley"),
    "lillian": ("lily", "lil"),
    "margaret": ("maggie", "peggy", "meg", "marge", "margie", "madge"),
    "martha": ("marty", "mattie"),
    "melissa": ("mel", "missy"),
    "melanie": ("mel",),
    "nicole": ("nicky", "nikki", "nic"),
    "pamela": ("pam",),
    "patricia": ("pat", "patty", "trish", "tricia", "patsy"),
    "rebecca": ("becky", "becca", "beck"),
    "rosemary": ("rose", "rosie"),
    "samantha": ("sam", "sammy"),
    "sandra": ("sandy",),
    "stephanie": ("steph", "stephie"),
    "susan": ("sue", "susie", "suzy", "suzanne"),
    "theresa": ("terri", "terry", "tess", "tessa", "teresa"),
    "valerie": ("val",),
    "victoria": ("vicky", "vicki", "tori", "vic"),
    "virginia": ("ginny", "ginger"),
    # other languages
    "alejandro": ("alex", "ale"),
    "antonio": ("tono", "toni", "tonio"),
    "eduardo": ("edu", "dudu"),
    "enrique": ("kike",),
    "francisco": ("paco", "pancho", "cisco", "chico", "chicho"),
    "guillermo": ("memo", "guille"),
    "ignacio": ("nacho",),
    "jesus": ("chuy",),
    "jose": ("pepe", "chepe"),
    "manuel": ("manolo", "manu"),
    "roberto": ("beto",),
    "rodrigo": ("rodri",),
    "friedrich": ("fritz",),
    "johannes": ("hannes", "hans", "jo"),
    "johann": ("hans", "hannes"),
    "sebastian": ("basti",),
    "wolfgang": ("wolf",),
    "alexandre": ("alex",),
    "guillaume": ("guigui",),
    "aleksander": ("olek", "alek"),
    "katarzyna": ("kasia",),
    "malgorzata": ("gosia",),
    "wojciech": ("wojtek",),
    "aleksandra": ("ola",),
}


_SCHEMA = {"name": pl.String, "group": pl.String}


@cache
def groups_frame() -> pl.DataFrame:
    """Every (name, group) membership: each canonical name and each of its nicknames.

    A canonical name is in its own group; a nickname is in the group of every name it
    shortens; a name listed as another's variant (Steven under Stephen) is in both.
    """
    names: list[str] = []
    groups: list[str] = []
    for canonical, short in NICKNAMES.items():
        for name in (canonical, *short):
            names.append(name)
            groups.append(canonical)
    return (
        pl.DataFrame({"name": names, "group": groups}, schema=_SCHEMA)
        .unique()
        .sort("name", "group")
    )


def same_name(a: str, b: str) -> bool:
    """True when the folded first names `a` and `b` are equal or share a nickname group."""
    if a == b:
        return True
    frame = groups_frame()
    ga = set(frame.filter(pl.col("name") == a)["group"].to_list())
    gb = set(frame.filter(pl.col("name") == b)["group"].to_list())
    return bool(ga & gb)
