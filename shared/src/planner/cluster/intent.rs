//! Search intent from a keyword's modifiers: keywords of different intents
//! are different articles ("best espresso machine", "how to clean an
//! espresso machine", "espresso machine vs coffee maker" and the bare
//! "espresso machine" are four), so the grouping never links them unless the
//! data says otherwise (a shared parent keyword).
//!
//! The markers are the modifiers SEO tools classify intent by; they are
//! grammar of search queries, not vocabulary, so they live here rather than
//! in the lexicon. Marker words take no part in similarity.

/// One search intent / article type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Intent {
    /// No marker: the head term itself.
    Generic = 0,
    /// "a vs b", "difference between a and b", "a or b".
    Compare = 1,
    /// "near me", "nearby".
    Local = 2,
    /// "price", "cost", "fee", "how much … cost".
    Price = 3,
    /// "buy", "for sale", "deals", "discount", "coupon".
    Buy = 4,
    /// "what is", "meaning", "definition", "explained".
    Define = 5,
    /// "how to", "diy", "tutorial", "tips", "recipe", a leading or
    /// compound gerund ("cleaning a …", "machine cleaning").
    HowTo = 6,
    /// "best", "top", "review(s)", "rated", "recommended".
    Commercial = 7,
    /// Yes/no and other questions: "can …", "is …", "why …", "when …",
    /// "best time to …".
    Question = 8,
}

impl Intent {
    /// The intent keywords are linked under: a yes/no question about doing
    /// something ("can you freeze potatoes") is answered by the how-to
    /// article ("freezing potatoes"), so questions link as how-tos.
    pub fn linked_as(self) -> Intent {
        match self {
            Intent::Question => Intent::HowTo,
            other => other,
        }
    }
}

/// A generic keyword led by a gerund with its object ("growing tomatoes",
/// "descaling espresso machine") is a how-to when the batch asks how to do
/// it: some how-to or question keyword starts with the verb (its first
/// content word) and shares another word ("how to grow tomatoes", "can you
/// freeze potatoes" for "freezing potatoes", "how to clean sneakers" for
/// "cleaning white sneakers"). Without that evidence it stays generic, as a
/// gerund before a noun usually names what a thing is for ("camping chair"
/// even next to "how to clean a camping chair", "running socks", "gaming
/// laptop").
pub fn gerunds_asked_how(docs: &[Vec<String>], intents: &mut [Intent]) {
    use crate::planner::cluster::{is_stop_word, stem};
    let content = |doc: &[String]| -> Vec<String> {
        doc.iter().filter(|w| !is_stop_word(w) && !is_marker(w)).map(|w| stem(w)).collect()
    };
    let candidate = |doc: &[String], intent: Intent| {
        intent == Intent::Generic && doc.len() > 1 && is_gerund(&doc[0]) && !is_function_word(&doc[1]) && !is_stop_word(&doc[1])
    };
    if !docs.iter().zip(intents.iter()).any(|(d, &i)| candidate(d, i)) {
        return;
    }
    // (verb, another word) of every how-to or question keyword
    let mut asked: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for (doc, &intent) in docs.iter().zip(intents.iter()) {
        if matches!(intent, Intent::HowTo | Intent::Question) {
            let words = content(doc);
            if let Some((verb, rest)) = words.split_first() {
                asked.extend(rest.iter().filter(|w| *w != verb).map(|w| (verb.clone(), w.clone())));
            }
        }
    }
    for (doc, intent) in docs.iter().zip(intents.iter_mut()) {
        if candidate(doc, *intent) {
            let verb = stem(&doc[0]);
            if content(&doc[1..]).into_iter().any(|w| asked.contains(&(verb.clone(), w))) {
                *intent = Intent::HowTo;
            }
        }
    }
}

/// Whether `w` is an intent marker (excluded from similarity features).
pub fn is_marker(w: &str) -> bool {
    matches!(
        w,
        "vs" | "versus"
            | "v"
            | "compared"
            | "comparison"
            | "difference"
            | "differences"
            | "between"
            | "alternatives"
            | "near"
            | "nearby"
            | "me"
            | "price"
            | "prices"
            | "pricing"
            | "cost"
            | "costs"
            | "fee"
            | "fees"
            | "buy"
            | "sale"
            | "deal"
            | "deals"
            | "discount"
            | "coupon"
            | "coupons"
            | "meaning"
            | "definition"
            | "define"
            | "explained"
            | "whats"
            | "how"
            | "diy"
            | "tutorial"
            | "tutorials"
            | "tips"
            | "steps"
            | "instructions"
            | "recipe"
            | "best"
            | "top"
            | "review"
            | "reviews"
            | "reviewed"
            | "rated"
            | "recommended"
    )
}

/// Function words after which a leading gerund reads as an action
/// ("cleaning a …", "learning to …").
fn is_function_word(w: &str) -> bool {
    matches!(w, "a" | "an" | "the" | "your" | "my" | "to" | "at" | "for" | "in" | "on" | "with" | "up" | "out" | "of" | "from")
}

/// Gerund-looking words that are nouns in keywords.
fn is_gerund(w: &str) -> bool {
    w.len() >= 6
        && w.ends_with("ing")
        && !matches!(
            w,
            "string" | "spring" | "ceiling" | "morning" | "evening" | "clothing" | "bedding" | "pudding" | "stuffing"
                | "icing" | "frosting" | "thing" | "things" | "something" | "nothing" | "everything" | "wedding"
                | "building" | "ring" | "king" | "wing" | "swing" | "sling" | "lightning" | "parking" | "housing"
                | "filling" | "seasoning" | "dressing" | "topping" | "coating" | "railing" | "siding" | "flooring"
                | "decking" | "fencing" | "roofing" | "plumbing" | "lighting" | "wiring" | "heating" | "painting"
                | "setting" | "settings" | "listing" | "meeting" | "offering" | "earring" | "earrings"
        )
}

/// Classifies a keyword from its tokens (normalised, apostrophes dropped).
pub fn classify(tokens: &[String]) -> Intent {
    let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let has = |w: &str| t.contains(&w);
    let pair = |a: &str, b: &str| t.windows(2).any(|p| p[0] == a && p[1] == b);
    let n = t.len();
    let or_between = t.iter().enumerate().any(|(i, &w)| w == "or" && i > 0 && i + 1 < n);
    if has("vs") || has("versus") || has("v") || has("compared") || has("comparison") || pair("difference", "between")
        || pair("differences", "between") || has("alternatives") || or_between
    {
        return Intent::Compare;
    }
    if pair("near", "me") || has("nearby") {
        return Intent::Local;
    }
    if ["price", "prices", "pricing", "cost", "costs", "fee", "fees"].iter().any(|w| has(w)) {
        return Intent::Price;
    }
    if ["buy", "sale", "deal", "deals", "discount", "coupon", "coupons"].iter().any(|w| has(w))
        || (n > 1 && t[0] == "order" && !is_function_word(t[1]))
    {
        return Intent::Buy;
    }
    let what_is = t.windows(2).any(|p| p[0] == "what" && matches!(p[1], "is" | "are" | "s" | "does" | "do" | "was"));
    if what_is || ["whats", "meaning", "definition", "define", "explained"].iter().any(|w| has(w)) {
        return Intent::Define;
    }
    // "cleaning a …", not the noun compound "washing up (liquid)";
    // "growing tomatoes" is decided by the batch: see [`gerunds_asked_how`]
    let leading_gerund = n > 1
        && is_gerund(t[0])
        && is_function_word(t[1])
        && !crate::planner::cluster::lexicon::lexicon().is_gerund_compound(t[0], t[1]);
    let compound_gerund = n > 1 && is_gerund(t[n - 1]) && !is_function_word(t[n - 2]) && !crate::planner::cluster::is_stop_word(t[n - 2]);
    if pair("best", "time") || pair("best", "way") {
        return if pair("best", "way") { Intent::HowTo } else { Intent::Question };
    }
    if has("how") || ["diy", "tutorial", "tutorials", "tips", "steps", "instructions", "recipe"].iter().any(|w| has(w))
        || pair("ways", "to") || leading_gerund || compound_gerund
    {
        return Intent::HowTo;
    }
    if ["best", "top", "review", "reviews", "reviewed", "rated", "recommended"].iter().any(|w| has(w)) {
        return Intent::Commercial;
    }
    if matches!(t.first(), Some(&("can" | "is" | "are" | "does" | "do" | "should" | "will" | "why" | "when" | "where" | "which" | "who"))) {
        return Intent::Question;
    }
    Intent::Generic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Intent {
        classify(&text.split(' ').map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn modifiers_give_the_intent() {
        for (kw, intent) in [
            ("espresso machine", Intent::Generic),
            ("running shoes", Intent::Generic),
            ("running socks", Intent::Generic),
            ("washing up liquid", Intent::Generic),
            ("running a marathon", Intent::HowTo),
            ("hiking boots", Intent::Generic),
            ("best espresso machine", Intent::Commercial),
            ("espresso machine reviews", Intent::Commercial),
            ("how to clean an espresso machine", Intent::HowTo),
            ("espresso machine cleaning", Intent::HowTo),
            ("learning to ride a bike", Intent::HowTo),
            ("espresso machine vs coffee maker", Intent::Compare),
            ("difference between latte and cappuccino", Intent::Compare),
            ("mac or pc", Intent::Compare),
            ("what is cold brew", Intent::Define),
            ("cold brew meaning", Intent::Define),
            ("how much does botox cost", Intent::Price),
            ("buy coffee beans online", Intent::Buy),
            ("coffee beans for sale", Intent::Buy),
            ("bike shop near me", Intent::Local),
            ("can dogs eat grapes", Intent::Question),
            ("best time to visit paris", Intent::Question),
            ("trainers for running", Intent::Generic),
            // a gerund with its object: decided by the batch (below)
            ("growing tomatoes", Intent::Generic),
            ("running socks", Intent::Generic),
            ("washing up liquid", Intent::Generic),
            ("running a marathon", Intent::HowTo),
            ("order of skincare products", Intent::Generic),
        ] {
            assert_eq!(of(kw), intent, "{kw}");
        }
    }

    #[test]
    fn a_gerund_with_its_object_is_a_how_to_where_the_batch_asks_how() {
        let docs: Vec<Vec<String>> = [
            "growing tomatoes",
            "how to grow tomatoes",
            "freezing potatoes",
            "can you freeze potatoes",
            "camping chair",
            "how to clean a camping chair",
            "running socks",
            "descaling espresso machine",
            "how to descale an espresso machine",
            "growing peppers",
            "cleaning white sneakers",
            "how to clean sneakers",
        ]
        .iter()
        .map(|k| k.split(' ').map(str::to_string).collect())
        .collect();
        let mut intents: Vec<Intent> = docs.iter().map(|d| classify(d)).collect();
        gerunds_asked_how(&docs, &mut intents);
        assert_eq!(intents[0], Intent::HowTo, "how to grow tomatoes is asked");
        assert_eq!(intents[2], Intent::HowTo, "a question asks it too");
        assert_eq!(intents[4], Intent::Generic, "the how-to's verb is clean: nobody asks how to camp a chair");
        assert_eq!(intents[6], Intent::Generic);
        assert_eq!(intents[7], Intent::HowTo);
        assert_eq!(intents[9], Intent::Generic, "no other word in common: growing peppers is not asked");
        assert_eq!(intents[10], Intent::HowTo, "a word in common is enough");
    }

    #[test]
    fn questions_link_as_how_tos_and_nothing_else_moves() {
        assert_eq!(Intent::Question.linked_as(), Intent::HowTo);
        for i in [Intent::Generic, Intent::Compare, Intent::Local, Intent::Price, Intent::Buy, Intent::Define, Intent::HowTo, Intent::Commercial] {
            assert_eq!(i.linked_as(), i);
        }
    }
}
