#!/usr/bin/env python3
"""Derives the compact lexical tables the keyword grouping ships with.

Inputs (Debian bookworm packages; `apt-get install wordnet-base wamerican wbritish`):
  /usr/share/wordnet/{index,data}.{noun,verb,adj}        WordNet 3.0 (Princeton licence, see LICENSE-WordNet)
  /usr/share/dict/{american,british}-english  SCOWL word lists (see LICENSE-SCOWL)

Outputs (next to this script):
  synonyms.tsv  word<TAB>concept[ concept]  per part of speech (noun, verb,
                adjective), a word whose most frequent sense is "owned" by
                another lemma (the first lemma of the synset having it among
                its own two most frequent senses) maps to the owners of its one or two
                most frequent senses; a word owning its first sense maps to
                itself. Only the word's main part of speech counts (the one
                with the most sense-tagged uses in WordNet's corpus); words mapping only to themselves are left out, and so are
                proper-noun synsets. Multi-word lemmas use '_'.
  modifiers.txt words whose main part of speech (most sense-tagged uses) is
                adjective or adverb: "easy", "correct", "homemade".
  words.bloom   a Bloom filter (2^21 bits, 10 probes, FNV-1a 64 through
                the SplitMix64 finaliser, double hashing; see lexicon.rs) of every lower-case ASCII word of the
                SCOWL lists and every single-word WordNet lemma: "is this a
                real word" for the misspelling rule (≈ 0.02 % false positives,
                which only leave a misspelling uncorrected).
  synsets.txt   one line per group of WordNet noun synsets, its common
                words and phrases ('_'-joined; single words from the SCOWL
                lists, phrases of up to three of them), whatever the rank of
                the sense: the batch decides when a rare sense applies
                ("jumper" as a sweater). Synsets sharing a word that has
                exactly two noun senses are one group ("tap" and "faucet"
                through "spigot"), up to MAX_GROUP words.
  gerund_compounds.txt  noun compounds led by a gerund ("washing_up",
                "washing_machine"): "washing up liquid" is a thing, not a
                how-to like "washing a car".
  spelling.tsv  british<TAB>american  British spellings (in the British list,
                not the American one) whose American form, by the regular
                correspondences (-our/-or, -ise/-ize, -yse/-yze, -tre/-ter,
                -ogue/-og, -mme/-m, -ll-/-l-, -ence/-ense, -yre/-ire,
                -ould/-old, ae/e, oe/e), is in the American list.

Run: python3 shared/src/planner/cluster/lexicon/derive.py
"""
import os, re

WN = "/usr/share/wordnet"
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_RANK = 2


def words(path):
    out = set()
    for w in open(path, encoding="utf-8", errors="ignore"):
        w = w.strip()
        if w and w.islower() and w.isalpha() and w.isascii():
            out.add(w)
    return out


american = words("/usr/share/dict/american-english")
british = words("/usr/share/dict/british-english")
common = american | british

POS = ["noun", "verb", "adj"]


def load(pos):
    synsets, senses = {}, {}
    for line in open(os.path.join(WN, "data." + pos), encoding="utf-8"):
        if line.startswith("  "):
            continue
        f = line.split()
        wcnt = int(f[3], 16)
        synsets[f[0]] = [re.sub(r"\(.*\)$", "", f[4 + 2 * i]) for i in range(wcnt)]
    for line in open(os.path.join(WN, "index." + pos), encoding="utf-8"):
        if line.startswith("  "):
            continue
        f = line.split()
        n_syn, n_ptr = int(f[2]), int(f[3])
        senses[f[0]] = f[4 + n_ptr + 2:][:n_syn]
        tagged[(f[0], pos)] = int(f[4 + n_ptr + 1])
    return synsets, senses


def usable(lemma):
    """Single words, and phrases of up to three common words."""
    parts = re.split(r"[_-]", lemma)
    if len(parts) == 1:
        return lemma.isalpha() and lemma.isascii()
    return len(parts) <= 3 and all(p in common for p in parts)


tagged = {}
loaded = {pos: load(pos) for pos in POS}


def main_pos(lemma):
    """The part of speech with the most sense-tagged uses (noun first on ties)."""
    have = [p for p in POS if lemma in loaded[p][1]]
    return max(have, key=lambda p: (tagged[(lemma, p)], -POS.index(p)))


concepts = {}
for pos in POS:
    synsets, senses = loaded[pos]

    def owner(off):
        """The first lemma of the synset having it among its most frequent senses."""
        lems = [l for l in synsets.get(off, []) if l == l.lower()]  # proper nouns never own
        for lem in lems:
            if off in senses.get(lem, [])[:MAX_RANK]:
                return lem
        return None

    for lemma, offs in senses.items():
        if not usable(lemma) or main_pos(lemma) != pos:
            continue
        c = concepts.setdefault(lemma, [])
        first = owner(offs[0]) if offs and lemma in synsets.get(offs[0], []) else None
        if first == lemma or first is None:
            if lemma not in c:
                c.append(lemma)
            continue
        for off in offs[:MAX_RANK]:
            if lemma not in synsets.get(off, []):
                continue  # the word is a proper noun there ("Tyre" the city)
            o = owner(off)
            if o and o != lemma and o not in c:
                c.append(o)

# words whose main part of speech is adjective or adverb ("easy", "correct",
# "homemade"): modifiers, weighted down by the grouping
adv_synsets, adv_senses = load("adv")
modifiers = set()
for lemma in set(loaded["adj"][1]) | set(adv_senses):
    if not (lemma.isalpha() and lemma.isascii()):
        continue
    have = [p for p in POS if lemma in loaded[p][1]]
    adj_tags = tagged.get((lemma, "adj"), -1)
    adv_tags = tagged.get((lemma, "adv"), -1)
    other = max([tagged[(lemma, p)] for p in have if p != "adj"], default=-1)
    if max(adj_tags, adv_tags) > other or (max(adj_tags, adv_tags) == other and not any(p in have for p in ("noun", "verb"))):
        modifiers.add(lemma)

syn_rows = [f"{w}\t{' '.join(c)}" for w, c in sorted(concepts.items()) if c and c != [w]]

RULES = [
    (r"our(s|ed|ing|ite|ites|able|ful|less)?$", r"or\1"),
    (r"is(e|es|ed|ing|er|ers|ation|ations)$", r"iz\1"),
    (r"ys(e|es|ed|ing|er|ers)$", r"yz\1"),
    (r"tre(s|d)?$", r"ter\1"),
    (r"ogue(s)?$", r"og\1"),
    (r"mme(s)?$", r"m\1"),
    (r"ll(ed|ing|er|ers)$", r"l\1"),
    (r"ence(s)?$", r"ense\1"),
    (r"yre(s|d)?$", r"ire\1"),
    (r"ould(s|ed|ing|y)?$", r"old\1"),
    (r"ae", r"e"),
    (r"oe", r"e"),
]
spell_rows = []
for w in sorted(british - american):
    for pat, rep in RULES:
        us = re.sub(pat, rep, w, count=1)
        if us != w and us in american:
            spell_rows.append(f"{w}\t{us}")
            break

# noun synsets with their common words, grouped through two-sense words
def common_usable(lemma):
    parts = re.split(r"[_-]", lemma)
    if len(parts) == 1:
        return lemma in common
    return len(parts) <= 3 and all(p in common for p in parts)


MAX_GROUP = 10
noun_synsets, noun_senses = loaded["noun"]
keys = sorted(noun_synsets)
members = {k: list(dict.fromkeys(l.lower().replace("-", "_") for l in noun_synsets[k] if common_usable(l.lower()))) for k in keys}
size = {k: len(noun_synsets[k]) for k in keys}
parent = {k: k for k in keys}


def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


for lemma, offs in sorted(noun_senses.items()):
    if len(offs) != 2 or not common_usable(lemma):
        continue
    a, b = find(offs[0]), find(offs[1])
    if a != b and size[a] + size[b] - 1 <= MAX_GROUP:
        parent[b] = a
        size[a] += size[b] - 1
groups = {}
for k in keys:
    groups.setdefault(find(k), []).extend(members[k])
synset_rows = []
for root, lemmas in sorted(groups.items()):
    lemmas = list(dict.fromkeys(lemmas))
    if len(lemmas) >= 2:
        synset_rows.append(" ".join(lemmas))
gerund_rows = sorted({l.replace("-", "_") for l in noun_senses if re.fullmatch(r"[a-z]+ing[-_][a-z]+", l)})

HEADER = "# derived by derive.py from {}; do not edit by hand\n"
with open(os.path.join(HERE, "synonyms.tsv"), "w") as f:
    f.write(HEADER.format("WordNet 3.0 (Debian wordnet-base 1:3.0-37)"))
    f.write("\n".join(syn_rows) + "\n")
with open(os.path.join(HERE, "spelling.tsv"), "w") as f:
    f.write(HEADER.format("SCOWL word lists (Debian wamerican/wbritish 2020.12.07-2)"))
    f.write("\n".join(spell_rows) + "\n")
with open(os.path.join(HERE, "synsets.txt"), "w") as f:
    f.write(HEADER.format("WordNet 3.0 (Debian wordnet-base 1:3.0-37)"))
    f.write("\n".join(synset_rows) + "\n")
with open(os.path.join(HERE, "gerund_compounds.txt"), "w") as f:
    f.write(HEADER.format("WordNet 3.0 (Debian wordnet-base 1:3.0-37)"))
    f.write("\n".join(gerund_rows) + "\n")
with open(os.path.join(HERE, "modifiers.txt"), "w") as f:
    f.write(HEADER.format("WordNet 3.0 (Debian wordnet-base 1:3.0-37)"))
    f.write("\n".join(sorted(modifiers)) + "\n")
# the Bloom filter of real words
BLOOM_BITS, BLOOM_PROBES = 1 << 21, 10


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


real = set(common)
for pos in POS + ["adv"]:
    for line in open(os.path.join(WN, "index." + pos), encoding="utf-8"):
        if not line.startswith("  "):
            w = line.split()[0]
            if w.isalpha() and w.isascii():
                real.add(w)
def mix64(x):
    """SplitMix64 finaliser: spreads all 64 bits of FNV into the low ones."""
    M = 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


bloom = bytearray(BLOOM_BITS // 8)
for w in sorted(real):
    h = fnv1a(w.encode())
    h1, h2 = mix64(h), mix64(h ^ 0x9E3779B97F4A7C15) | 1
    for i in range(BLOOM_PROBES):
        bit = (h1 + i * h2) % BLOOM_BITS
        bloom[bit >> 3] |= 1 << (bit & 7)
with open(os.path.join(HERE, "words.bloom"), "wb") as f:
    f.write(bloom)

print(len(real), "real words;", len(modifiers), "modifiers;", len(syn_rows), "synonym rows;", len(spell_rows), "spelling rows;",
      len(synset_rows), "synset groups;", len(gerund_rows), "gerund compounds")
