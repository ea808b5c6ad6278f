//! `pipelines/text.toml`: the words and patterns the report-text reader uses.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::RegexSet;
use serde::Deserialize;

use crate::model::Scope;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextRulesFile {
    pub body: BodyFile,
    pub scope: ScopeFile,
    pub growth: GrowthFile,
    pub modality: ModalityFile,
    pub approx: ApproxFile,
    pub subjects: SubjectsFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyFile {
    pub end: Vec<String>,
    pub chrome: Vec<String>,
    pub title: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeFile {
    pub city: Vec<String>,
    pub county: Vec<String>,
    pub province: Vec<String>,
    pub other: Vec<String>,
    pub park: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowthFile {
    pub up: Vec<String>,
    pub down: Vec<String>,
    pub pp_up: Vec<String>,
    pub pp_down: Vec<String>,
    pub other_base: Vec<String>,
    pub contribution: Vec<String>,
    pub to_level: Vec<String>,
    pub rank_change: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModalityFile {
    pub target: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproxFile {
    pub before: Vec<String>,
    pub after: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectsFile {
    pub prefixes: Vec<String>,
}

/// The compiled rules.
#[derive(Debug)]
pub struct TextRules {
    pub body_end: RegexSet,
    pub chrome: RegexSet,
    pub title: RegexSet,
    /// Scope words, longest first.
    pub scope_words: Vec<(String, Scope)>,
    /// The scope words as one automaton (leftmost-longest); pattern i is `scope_words[i]`.
    pub scope_matcher: AhoCorasick,
    /// The target words as one automaton, to find where a sentence turns to plans.
    pub target_matcher: AhoCorasick,
    pub growth_up: Vec<String>,
    pub growth_down: Vec<String>,
    pub pp_up: Vec<String>,
    pub pp_down: Vec<String>,
    /// Growth against another base (`环比`): one automaton, asked of every rate.
    pub other_base: AhoCorasick,
    /// A contribution to growth (`拉动`): one automaton, asked of every rate.
    pub contribution: AhoCorasick,
    pub to_level: Vec<String>,
    pub rank_change: Vec<String>,
    pub target: Vec<String>,
    pub approx_before: Vec<String>,
    pub approx_after: Vec<String>,
    pub subject_prefixes: Vec<String>,
}

fn longest_first(mut v: Vec<String>) -> Vec<String> {
    v.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    v
}

impl TextRules {
    /// Compiles the file; a bad pattern is reported with its text.
    pub fn compile(f: &TextRulesFile) -> Result<TextRules, String> {
        let re = |v: &[String]| -> Result<RegexSet, String> {
            for p in v {
                regex::Regex::new(p).map_err(|e| format!("bad pattern `{p}`: {e}"))?;
            }
            RegexSet::new(v).map_err(|e| format!("bad patterns: {e}"))
        };
        let mut scope_words = Vec::new();
        for (words, s) in [
            (&f.scope.city, Scope::City),
            (&f.scope.county, Scope::County),
            (&f.scope.province, Scope::Province),
            (&f.scope.other, Scope::Other),
            (&f.scope.park, Scope::Park),
        ] {
            scope_words.extend(words.iter().map(|w| (w.clone(), s)));
        }
        scope_words.sort_by_key(|w| std::cmp::Reverse(w.0.chars().count()));
        let scope_matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(scope_words.iter().map(|w| w.0.as_str()))
            .map_err(|e| format!("scope words: {e}"))?;
        Ok(TextRules {
            body_end: re(&f.body.end)?,
            chrome: re(&f.body.chrome)?,
            title: re(&f.body.title)?,
            scope_words,
            scope_matcher,
            target_matcher: AhoCorasick::new(&f.modality.target)
                .map_err(|e| format!("target words: {e}"))?,
            growth_up: longest_first(f.growth.up.clone()),
            growth_down: longest_first(f.growth.down.clone()),
            pp_up: longest_first(f.growth.pp_up.clone()),
            pp_down: longest_first(f.growth.pp_down.clone()),
            other_base: AhoCorasick::new(&f.growth.other_base)
                .map_err(|e| format!("other_base words: {e}"))?,
            contribution: AhoCorasick::new(&f.growth.contribution)
                .map_err(|e| format!("contribution words: {e}"))?,
            to_level: f.growth.to_level.clone(),
            rank_change: f.growth.rank_change.clone(),
            target: f.modality.target.clone(),
            approx_before: longest_first(f.approx.before.clone()),
            approx_after: longest_first(f.approx.after.clone()),
            subject_prefixes: longest_first(f.subjects.prefixes.clone()),
        })
    }
}
