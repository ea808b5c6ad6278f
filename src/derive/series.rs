//! Series ids: which series a row of facts or months belongs to, as one `u64` that sorts
//! as the series' names do, so that derive groups, orders and joins on one integer
//! instead of several strings.

use polars::prelude::{polars_bail, DataFrame, PlHashMap, PolarsResult, StringChunked};

use crate::model::Scope;

/// Bits of each part of an id: entity, scope, indicator, unit (64 in all).
const BITS: [u32; 4] = [24, 4, 18, 18];

/// The distinct entities, indicators and units of some frames, each numbered in its
/// sorted order.
pub struct SeriesIds<'a> {
    entity: PlHashMap<&'a str, u64>,
    indicator: PlHashMap<&'a str, u64>,
    unit: PlHashMap<&'a str, u64>,
}

fn numbered<'a>(
    name: &str,
    cols: &[&'a StringChunked],
    bits: u32,
) -> PolarsResult<PlHashMap<&'a str, u64>> {
    let mut seen = std::collections::HashSet::new();
    for c in cols {
        let mut last = None;
        for v in c.iter().flatten() {
            if last != Some(v) {
                seen.insert(v);
                last = Some(v);
            }
        }
    }
    let mut seen: Vec<&str> = seen.into_iter().collect();
    if seen.len() as u64 >= 1 << bits {
        polars_bail!(ComputeError: "more than {} distinct {name}s: too many to derive monthly values", (1u64 << bits) - 1);
    }
    seen.sort_unstable();
    Ok(seen.into_iter().zip(0u64..).collect())
}

impl<'a> SeriesIds<'a> {
    /// Numbers the values of `frames`' `entity_id`, `indicator` and `unit` columns.
    pub fn new(frames: &[&'a DataFrame]) -> PolarsResult<SeriesIds<'a>> {
        let col = |name: &str| -> PolarsResult<Vec<&'a StringChunked>> {
            frames.iter().map(|f| f.column(name)?.str()).collect()
        };
        Ok(SeriesIds {
            entity: numbered("entity", &col("entity_id")?, BITS[0])?,
            indicator: numbered("indicator", &col("indicator")?, BITS[2])?,
            unit: numbered("unit", &col("unit")?, BITS[3])?,
        })
    }

    /// The id of each row of `df` (null where a part is unknown): entity, then scope
    /// (in its enum's order) when `with_scope`, then indicator, then unit.
    pub fn of(&self, df: &DataFrame, with_scope: bool) -> PolarsResult<Vec<Option<u64>>> {
        let scope = if with_scope {
            Some(crate::normalize::frame::ordinals(df, "scope", |v| {
                Scope::parse(v).map(|s| s as u8)
            })?)
        } else {
            None
        };
        let entity = numbers(df.column("entity_id")?.str()?, &self.entity);
        let indicator = numbers(df.column("indicator")?.str()?, &self.indicator);
        let unit = numbers(df.column("unit")?.str()?, &self.unit);
        let shift = |part: usize| BITS[part + 1..].iter().sum::<u32>();
        Ok((0..df.height())
            .map(|i| {
                let s = scope.as_ref().map_or(0, |s| s[i] as u64);
                Some(entity[i]? << shift(0) | s << shift(1) | indicator[i]? << shift(2) | unit[i]?)
            })
            .collect())
    }
}

/// The number of each value of `col` (none where it has none).
fn numbers(col: &StringChunked, ids: &PlHashMap<&str, u64>) -> Vec<Option<u64>> {
    crate::model::by_runs(col, |v| ids.get(v).copied())
        .map(Option::flatten)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, NamedFrom, Series};

    #[test]
    fn ids_sort_as_the_names_do() {
        let rows = [
            ("b", "park", "revenue", "元"),
            ("a", "city", "revenue", "元"),
            ("a", "park", "tax", "元"),
            ("a", "park", "revenue", "千瓦时"),
            ("a", "park", "revenue", "元"),
            ("b", "park", "revenue", "元"),
        ];
        type Row = (&'static str, &'static str, &'static str, &'static str);
        let col = |name: &str, f: fn(&Row) -> &'static str| -> Column {
            Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
        };
        let df = DataFrame::new(
            rows.len(),
            vec![
                col("entity_id", |r| r.0),
                col("scope", |r| r.1),
                col("indicator", |r| r.2),
                col("unit", |r| r.3),
            ],
        )
        .unwrap();
        let ids: Vec<u64> = SeriesIds::new(&[&df])
            .unwrap()
            .of(&df, true)
            .unwrap()
            .into_iter()
            .map(|i| i.unwrap())
            .collect();
        let mut by_id: Vec<usize> = (0..rows.len()).collect();
        by_id.sort_by_key(|&i| ids[i]);
        let mut by_name: Vec<usize> = (0..rows.len()).collect();
        let scope = |s: &str| Scope::parse(Some(s)).unwrap();
        by_name.sort_by_key(|&i| (rows[i].0, scope(rows[i].1), rows[i].2, rows[i].3));
        assert_eq!(by_id, by_name);
        // Equal names, equal ids; park sorts before city, as the enum does.
        assert_eq!(ids[0], ids[5]);
        assert!(ids[4] < ids[1]);
        // Without scope, a city's series and a park's of one entity are one.
        let plain = SeriesIds::new(&[&df]).unwrap().of(&df, false).unwrap();
        assert_eq!(plain[1], plain[4]);
    }
}
